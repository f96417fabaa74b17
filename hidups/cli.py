"""The ``hidups`` command: a NUT driver by default, tools as subcommands.

``hidups -a myups`` (and every other form upsdrvctl uses) runs the driver;
``hidups describe FILE``, ``hidups list``, ... run a tool. Each tool is a module in
``hidups.tools`` with ``add_arguments(parser)`` and ``run(args) -> int``, imported
only when asked for, so a missing optional library never breaks another command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand → (module in hidups.tools, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "describe": ("describe", "print a descriptor's usage tree as NUT Path: lines"),
    "list": ("list_devices", "list HID devices, which look like UPSes, and access problems"),
    "explore": ("explore", "dump an unknown device (or a capture) to a replayable capture"),
    "gen-subdriver": ("gen_subdriver", "write a subdriver module from a capture or NUT debug log"),
    "convert": ("convert", "convert a shared-JSON capture or NUT debug log to a hidups capture"),
    "udev-rules": ("udev_rules", "print udev rules for every VID:PID the subdrivers claim"),
    "serve": ("serve", "drive every UPS in one process; serve NUT's protocol and /metrics"),
}


def _tool_main(name: str, argv: Sequence[str]) -> int:
    module_name, help_text = SUBCOMMANDS[name]
    module = importlib.import_module(f"hidups.tools.{module_name}")
    parser = argparse.ArgumentParser(prog=f"hidups {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(list(argv))
    result: int = module.run(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return _tool_main(args[0], args[1:])
    if args and args[0] in ("help", "--help-tools"):
        for name, (_, help_text) in SUBCOMMANDS.items():
            print(f"  {name:<15} {help_text}")
        return 0
    driver = importlib.import_module("hidups.app.main")
    status: int = driver.main(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
