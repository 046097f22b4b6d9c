"""`smscli mms upload`: upload JPEGs once, reuse the vendor's file keys."""

from pathlib import Path
from typing import Annotated

import typer

from smscli.cli.common import (
    BareGroup,
    ConfigOpt,
    JsonOpt,
    MetavarCommand,
    ProfileOpt,
)

mms_app = typer.Typer(
    name="mms",
    help="Upload MMS images.",
    epilog="Examples:\n\n  smscli mms upload banner.jpg\n\n  smscli send --to 01012345678 -m 'photo' --image banner.jpg",
    no_args_is_help=True,
    cls=BareGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(mms_app)


@mms_app.command(
    "upload",
    cls=MetavarCommand,
    epilog="Examples:\n\n  smscli mms upload banner.jpg\n\n  smscli mms upload a.jpg b.jpg --json",
)
def upload(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="JPEG files (checked by content).")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Upload JPEG images and print the vendor's file name / key for each."""
    from smscli.cli.common import choose
    from smscli.cli.output import Output
    from smscli.client import Client

    name, path = choose(profile, config)
    uploads = Client(name, config=path).upload(files)
    out = Output(json_, columns=["file", "key", "bytes", "width", "height", "vendor"])
    for up in uploads:
        out.emit(up.to_json())
    out.flush()
