"""cairn: a self-hosted server for Bitbucket Data Center's Builds and Deployments REST API."""

__version__ = "0.1.0"
