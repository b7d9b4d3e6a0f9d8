"""``trajforge review``: the human review workspace (serve), its queues (import), accounts
(create-user) and what reviewers made (export). Needs the ``review`` extra."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from trajforge.cli.common import out
from trajforge.errors import ConfigError

if TYPE_CHECKING:
    from trajforge.review.db import Database

app = typer.Typer(help="The human review workspace.", no_args_is_help=True)

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="Database: an SQLite file path (default) or a postgresql://user:pass@host/db URL.",
    ),
]


@app.callback()
def _review() -> None:
    """The human review workspace: grading, corrections, live approvals, demonstrations."""


def _open(db: str) -> Database:
    """The review database at ``db``, migrated (a ConfigError when the extra is missing)."""
    try:
        from trajforge.review.db import open_database
    except ImportError as exc:
        raise ConfigError(
            f"the review workspace needs the review extra ({exc.name} is missing)",
            hint="pip install 'trajforge[review]'",
        ) from None
    return open_database(db)


@app.command("serve")
def serve(
    db: DbOption = "review.db",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8750,
    secret_key_file: Annotated[
        Path | None, typer.Option(help="File holding the session key (else TRAJFORGE_SECRET_KEY).")
    ] = None,
    https_only: Annotated[
        bool, typer.Option("--https-only", help="Send the session cookie over HTTPS only.")
    ] = False,
) -> None:
    """Serve the workspace (migrating the database first); refuses to start without a secret
    key, or with a default one."""
    import uvicorn

    from trajforge.review.app import create_app
    from trajforge.review.security import load_secret

    secret = load_secret(secret_key_file)
    app_ = create_app(_open(db), secret, https_only=https_only)
    out.print(f"review workspace on http://{escape(host)}:{port}")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="The new account's name.")],
    db: DbOption = "review.db",
    role: Annotated[str, typer.Option(help="admin or reviewer.")] = "reviewer",
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the password from this environment variable (else a prompt)."),
    ] = None,
) -> None:
    """Create an account (the first admin comes from here: --role admin)."""
    import os

    from trajforge.review.store import create_user as create

    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise ConfigError(f"{password_env} is not set", path="--password-env")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    database = _open(db)
    with database.transaction() as session:
        create(session, username, password, role)
    out.print(f"created {escape(role)} {escape(username)}")


@app.command("assign")
def assign(
    project: Annotated[str, typer.Argument(help="The project.")],
    usernames: Annotated[list[str], typer.Argument(help="Reviewers to assign to it.")],
    db: DbOption = "review.db",
    items: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Also give each reviewer this many of the items nobody is assigned to, dealt "
            "in turn (an assigned item is in its assignees' queues only).",
        ),
    ] = None,
    split: Annotated[
        bool,
        typer.Option("--split", help="Deal every item nobody is assigned to among them in turn."),
    ] = False,
) -> None:
    """Assign reviewers to a project (created if new), and items to them one by one with
    --items or --split."""
    from trajforge.review.store import assign as give
    from trajforge.review.store import assign_items, project_named, user_named

    if items is not None and split:
        raise ConfigError("--items and --split cannot go together", path="--split")
    database = _open(db)
    with database.transaction() as session:
        target = project_named(session, project, create=True)
        users = []
        for name in usernames:
            user = user_named(session, name)
            if user is None:
                raise ConfigError(f"no user {name!r}", hint="trajforge review create-user")
            give(session, target, user)
            users.append(user)
        dealt = assign_items(session, target, users, items) if items or split else None
    out.print(f"assigned {len(usernames)} reviewers to {escape(project)}")
    for name, count in (dealt or {}).items():
        out.print(f"{escape(name)}: {count:,} items")


@app.command("import")
def import_queue(
    source: Annotated[str, typer.Argument(help="File, glob or directory of trajectories.")],
    project: Annotated[str, typer.Option(help="The project (queue) to add them to.")],
    db: DbOption = "review.db",
    from_format: Annotated[
        str,
        typer.Option(
            "--from",
            help="trajforge, any format trajforge reads, or audit-queue (the queue [audit] wrote).",
        ),
    ] = "trajforge",
    where: Annotated[
        list[str] | None,
        typer.Option(
            help="Queue only what passes this condition of curation's filter language, written "
            "as TOML keys ('label = \"policy_violation\", recovered = false'); repeatable.",
        ),
    ] = None,
    filter_file: Annotated[
        str | None,
        typer.Option(
            "--filter", help="Queue only what a TOML file's [filter] keep/drop rules keep."
        ),
    ] = None,
) -> None:
    """Queue trajectories for review in a project (all of them, or those a filter keeps)."""
    from trajforge.review.importing import import_trajectories
    from trajforge.review.selection import selection

    selected = selection(where or (), filter_file)
    done = import_trajectories(_open(db), project, source, from_format, selected)
    if selected is None:
        out.print(f"queued {done.queued:,} trajectories in {escape(project)}")
    else:
        out.print(
            f"queued {done.queued:,} of {done.read:,} trajectories in {escape(project)} "
            "(the others did not pass the filter)"
        )


@app.command("export")
def export(
    dest: Annotated[str, typer.Argument(help="Output file (.jsonl[.gz|.zst], .parquet) or dir.")],
    db: DbOption = "review.db",
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    results: Annotated[
        Path | None,
        typer.Option(
            help="Also write the verdicts as audit results (for trajforge audit summary)."
        ),
    ] = None,
) -> None:
    """Write the reviewed trajectories with their human labels (source human, reviewer id),
    corrected versions and demonstrations included."""
    import msgspec

    from trajforge.io import write_trajectories
    from trajforge.io.atomic import atomic_write
    from trajforge.review.exporting import audit_results, export_project

    database = _open(db)
    written = write_trajectories(dest, export_project(database, project))
    out.print(f"wrote {written.count:,} trajectories to {escape(dest)}")
    if results is not None:
        verdicts = audit_results(database, project)
        with atomic_write(results) as f:
            for result in verdicts:
                f.write(msgspec.json.encode(result) + b"\n")
        out.print(f"wrote {len(verdicts):,} verdicts to {escape(str(results))}")
