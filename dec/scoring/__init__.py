"""A trained run applied to customers: export, predict, migration between snapshots."""
