"""Required-builds merge checks, the branching model they refer to, and the verdict."""
