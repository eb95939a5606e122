"""``aitoearn-lab cache info | clear``: look at the answer cache, or forget a key's answers."""

from __future__ import annotations

from pathlib import Path

import click

from aitoearn_lab.cli.options import F, cache_file_option, friendly_errors, region_option


def cache_scope_options(command: F) -> F:
    """The options of ``cache info`` and ``cache clear``: the file, and whose answers in it."""
    options = [
        cache_file_option,
        click.option("--base-url", metavar="URL"),
        region_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def cache() -> None:
    """Look at or clear the answer cache."""


@cache.command("info")
@cache_scope_options
@friendly_errors
def cache_info(cache_path: Path | None, base_url: str | None, region: str | None) -> None:
    """Where the cache is and how many answers it holds for this key."""
    from aitoearn_lab.client.api import Client

    with Client(base_url=base_url, region=region, cache=cache_path) as client:
        click.echo(f"cache file: {client.cache_path}")
        size = (
            client.cache_path.stat().st_size
            if client.cache_path and client.cache_path.exists()
            else 0
        )
        click.echo(f"size: {size / 1e6:.1f} MB")
        click.echo(f"answers for this key and site: {client.cache_size()}")


@cache.command("clear")
@cache_scope_options
@friendly_errors
def cache_clear(cache_path: Path | None, base_url: str | None, region: str | None) -> None:
    """Forget this key's stored answers (other keys' entries stay)."""
    from aitoearn_lab.client.api import Client

    with Client(base_url=base_url, region=region, cache=cache_path) as client:
        removed = client.clear_cache()
    click.echo(f"removed {removed} answers")
