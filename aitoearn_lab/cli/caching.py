"""``aitoearn-lab cache info | clear``: look at the answer cache, or forget a key's answers."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

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
    """Where the cache is, whose answers it holds, and how many for this key and site."""
    from aitoearn_lab.client.cache import TaskCache
    from aitoearn_lab.client.cache_scopes import stored_scopes

    path, site, scope, key = _scope(cache_path, base_url, region, key_needed=False)
    click.echo(f"cache file: {path}")
    if path.exists():  # a folder, a locked or unreadable file: one clear error, as for fetch
        TaskCache(path, scope=scope or "none").close()
    size = path.stat().st_size if path.exists() else 0
    click.echo(f"size: {size / 1e6:.1f} MB" if size >= 1e6 else f"size: {size / 1e3:.0f} kB")
    held = stored_scopes(path)
    mine = sum(h.answers for h in held if h.scope == scope)
    click.echo(f"looked at: site {site}, key {key}" + (f" (scope {scope})" if scope else ""))
    click.echo(f"answers for this key and site: {mine}")
    if not held:
        click.echo("the cache holds no answers yet")
        return
    click.echo("the cache holds:")
    for holding in held:
        this = "  <- this key and site" if holding.scope == scope else ""
        click.echo(f"  {holding.site}  {_answers(holding.answers)}  (scope {holding.scope}){this}")
    host = urlsplit(site)
    if not mine and any(h.site == f"{host.scheme}://{host.netloc}" for h in held):
        click.echo(f"(answers for {site} are stored under another key)")
    elif not mine:
        click.echo("(use --base-url or --region to look at the site you fetched from)")


@cache.command("clear")
@cache_scope_options
@friendly_errors
def cache_clear(cache_path: Path | None, base_url: str | None, region: str | None) -> None:
    """Forget this key's stored answers for one site (other keys' and sites' entries stay)."""
    from aitoearn_lab.client.cache import TaskCache
    from aitoearn_lab.client.cache_scopes import stored_scopes

    path, site, scope, key = _scope(cache_path, base_url, region)
    if not path.exists():
        removed = 0
    else:
        store = TaskCache(path, scope=scope)
        try:
            removed = store.clear()
        finally:
            store.close()
    click.echo(
        f"removed {_answers(removed)} for site {site}, key {key} (scope {scope}) from {path}"
    )
    others = stored_scopes(path)
    if others:
        left = ", ".join(f"{h.site} {_answers(h.answers)}" for h in others)
        click.echo(f"still in the cache: {left}")


def _scope(
    cache_path: Path | None, base_url: str | None, region: str | None, *, key_needed: bool = True
) -> tuple[Path, str, str, str]:
    """The cache file, the site, the scope and the masked key a cache command looks at.

    Without a key (and ``key_needed`` false) the scope is empty: no answers are this key's, but
    the file's sites can still be listed.
    """
    from aitoearn_lab.config import (
        ENV_API_KEY,
        key_scope,
        mask_key,
        resolve_api_key,
        resolve_base_url,
        resolve_cache_path,
    )

    path = resolve_cache_path(cache_path)
    if path is None:
        raise click.UsageError("the cache is off (AITOEARN_LAB_CACHE=off); give --cache PATH")
    site = resolve_base_url(base_url, region)
    if not key_needed and not (os.environ.get(ENV_API_KEY) or "").strip():
        return path, site, "", f"none ({ENV_API_KEY} is not set)"
    api_key = resolve_api_key(None)
    return path, site, key_scope(api_key, site), mask_key(api_key)


def _answers(count: int) -> str:
    return "1 answer" if count == 1 else f"{count:,} answers"
