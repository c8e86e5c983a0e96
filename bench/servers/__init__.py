"""Starting, provisioning and stopping the servers under test, pinned to one core."""
