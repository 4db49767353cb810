# Installed as the package dec._data (see pyproject.toml), so the shipped data is found with importlib.resources.
