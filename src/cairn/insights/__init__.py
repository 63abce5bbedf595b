"""Code Insights: reports and their annotations on a commit."""
