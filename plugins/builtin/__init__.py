"""rewardkit's built-in reward plugins, registered through the same hooks as third-party ones."""
