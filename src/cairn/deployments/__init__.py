"""Deployments: record them (Bitbucket's API), and list them by repository and environment (cairn's)."""
