"""Networks (plain ``nn.Module``), DEC maths (pure functions) and the LightningModules."""
