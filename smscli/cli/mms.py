"""`smscli mms upload`: upload JPEGs once, reuse the vendor's file keys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smscli.cli.common import (
    BareGroup,
    ConfigOpt,
    JsonOpt,
    MetavarCommand,
    ProfileOpt,
    current_profile,
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
    from smscli.cli.output import Output
    from smscli.images import check_for_vendor
    from smscli.journal import Journal
    from smscli.vendors.registry import create_vendor

    prof = current_profile(profile, config)
    vendor = create_vendor(prof, Journal.open(prof.data_dir))
    if not vendor.can_upload:
        vendor.upload(files)  # raises the vendor's own explanation
    infos = check_for_vendor(files, vendor.limits, vendor.name)
    keys = vendor.upload([i.path for i in infos])
    out = Output(json_, columns=["file", "key", "bytes", "width", "height", "vendor"])
    for info, key in zip(infos, keys, strict=True):
        out.emit({"file": str(info.path), "key": key, "bytes": info.size, "width": info.width,
                  "height": info.height, "vendor": vendor.name})
    out.flush()
