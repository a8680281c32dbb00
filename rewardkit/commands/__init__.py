"""The core's subcommands (list, check, score), one module each; :mod:`rewardkit.cli` lists them all."""
