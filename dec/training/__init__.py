"""Training: the pipeline that chains the stages, the Lightning modules and Trainer that
train the plain models of :mod:`dec.models`, sizing, consensus and distributed runs."""
