"""The training subcommands (train, eval, rm-train), one module each; :mod:`rewardkit.commands` lists them."""
