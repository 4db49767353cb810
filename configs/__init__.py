# Installed as the package dec._configs (see pyproject.toml), so the shipped configs are found with importlib.resources.
