"""The dataops expert: reconcile the non-authoritative table the way a careful data engineer would.

It looks before it changes anything (list the tables, compare them on the business key), asks
which table is the system of record when the request does not say, asks for the user's
confirmation before any delete and before a sync of more than the bulk limit, changes only the
table being reconciled (deletes row by row, copies the missing and differing records from the
authoritative table with ``sync_records``), never touches the schema, verifies with a second
comparison, and submits a summary with the mismatch counts by kind.

Fallbacks: ``compare_tables`` -> one read-only ``run_query`` over both tables, compared here with
the same normalisation; ``get_record`` -> ``run_query``; ``list_tables`` -> ``describe_table``.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any, ClassVar

from trajforge.agents.scripted import Ask, Call, Done, Move, Result, Script, ScriptedExpert
from trajforge.envs.consent import gives_consent
from trajforge.envs.dataops.expert.findings import (
    Findings,
    both_tables_sql,
    compare_rows,
    join,
    plural,
    rows_of,
    sql_text,
)
from trajforge.envs.dataops.tasks import BULK_LIMIT
from trajforge.schema import Task, ToolSpec

#: A fix round yields moves and returns whether it went through.
Round = Generator[Move, Any, bool]
#: Settling the table pair yields moves and returns (authoritative, to fix), or None.
Pair = Generator[Move, Any, tuple[str, str] | None]
LOOK = "look at the tables"
ASK = "ask which table is the system of record"
SUBMIT = "submit the summary"


class DataOpsExpert(ScriptedExpert):
    """Scripted expert for ``DataOpsEnv``."""

    #: changes never repeated after a cut-off reply; the comparison that verifies the fix
    #: shows whether they took effect
    run_once: ClassVar[frozenset[str]] = frozenset(
        {"delete_record", "insert_record", "sync_records", "submit_summary"}
    )

    def __init__(
        self, task: Task, tools: list[ToolSpec], seed: int, *, system_prompt: str | None = None
    ) -> None:
        super().__init__(task, tools, seed, system_prompt=system_prompt)
        self._compare_by_query = False
        self._get_by_query = False
        self._remarks: list[str] = []
        self._round = ""
        self._head: list[str] = []

    # -- the script ------------------------------------------------------------------------------

    def script(self, task: Task) -> Script:
        """Inspect, (ask,) compare, confirm, fix, verify, summarise."""
        key: str = self.truth["key"]
        stated = bool(self.truth.get("authority_stated", True))
        normalize = bool(self.truth.get("report_counts", False))
        self._head = [LOOK, *([] if stated else [ASK]), f"compare the tables on {key}"]
        self.plan(
            [*self._head, "fix the non-authoritative table", "verify that the tables agree", SUBMIT]
        )
        pair = yield from self._identify(task, stated)
        if pair is None:
            return
        auth, fix = pair
        before: Result = yield self._compare_call(auth, fix, key, normalize)
        found = self._findings(before, auth, fix, key, normalize)
        if found is None:
            yield self._fail("the comparison of the two tables gave no usable result", before)
            return
        self.mark_done(self._head[-1])
        self.plan(
            [*self._head, *self._fix_items(found, auth, fix), self._verify(auth, fix), SUBMIT],
            reason=f"The comparison of {fix} against {auth} found {found.describe()}.",
        )
        if not (yield from self._reconcile(found, auth, fix, key, normalize)):
            return
        text = self._summary(found, auth, fix, key)
        counts = {k: n for k, n in found.counts().items() if n}
        submitted: Result = yield Call(
            "submit_summary",
            {"text": text, "mismatch_counts": counts},
            why="File the reconciliation summary with the mismatch counts by kind, as asked.",
        )
        if not submitted.ok:
            yield self._fail("submitting the summary failed", submitted)
            return
        self.mark_done(SUBMIT)
        yield Done(
            f"Done. {text} The summary is submitted.",
            why="Everything is fixed, verified and reported.",
        )

    def _identify(self, task: Task, stated: bool) -> Pair:
        """List the tables; settle which is authoritative (asking if the request is silent)."""
        truth = self.truth
        tables = [t["name"] for t in task.parameters["tables"] if t.get("writable", True)]
        if stated:
            auth, fix = truth["authoritative"], truth["fix_table"]
            self.assume(f"{auth} is authoritative and {fix} is the table to fix, as requested")
        listed: Result = yield Call(
            "list_tables",
            why="See which tables exist, their sizes and which are writable before changing "
            "anything.",
            fallbacks=[
                Call(
                    "describe_table",
                    {"name": truth["fix_table"] if stated else tables[0]},
                    why="list_tables is gone; describing the table directly instead.",
                )
            ],
        )
        absent = self._absent(listed, tables)
        if absent:
            yield self._fail(f"the database has no table {join(absent)}", listed)
            return None
        self.mark_done(LOOK)
        if stated:
            return auth, fix
        answer = yield Ask(
            f"Which of the two tables is the system of record: {tables[0]} or {tables[1]}? "
            "I will treat it as authoritative and correct only the other.",
            why="The request does not say which table is authoritative, and reconciling the "
            "wrong way round would overwrite the correct data.",
        )
        chosen = self._authority_from(str(answer or ""), tables)
        if chosen is None:
            yield Done(
                "I could not tell from your answer which table is the system of record, so "
                "I changed nothing. Please tell me which one is authoritative.",
                completed=False,
                why="Without knowing the authoritative table any change could be wrong.",
            )
            return None
        fix = next(t for t in tables if t != chosen)
        self.assume(f"{chosen} is authoritative and {fix} is the table to fix (the user said so)")
        self.mark_done(ASK)
        return chosen, fix

    def _reconcile(self, found: Findings, auth: str, fix: str, key: str, normalize: bool) -> Round:
        """Fix, verify, and fix once more what the verification still shows; True when clean."""
        current = found
        for attempt in range(2):
            self._round = " (again)" if attempt else ""
            if not (yield from self._fix_round(current, auth, fix, key)):
                yield Done(
                    self._declined(found, auth, fix),
                    completed=False,
                    why="The user did not confirm, so I leave those changes undone.",
                )
                return False
            check: Result = yield self._compare_call(auth, fix, key, normalize, verify=True)
            after = self._findings(check, auth, fix, key, normalize)
            if after is None:
                yield self._fail("the verification comparison gave no usable result", check)
                return False
            if after.clean():
                self.mark_done(self._verify(auth, fix))
                return True
            current = after
            self.plan(
                [
                    *self._head,
                    *self._fix_items(after, auth, fix, again=True),
                    self._verify(auth, fix),
                    SUBMIT,
                ],
                reason=f"The verification still shows {after.describe()}; fixing what is left.",
            )
        yield Done(
            f"I could not fully reconcile {fix}: after two rounds of fixes a comparison still "
            f"shows {current.describe()}. Nothing was changed in {auth}.",
            completed=False,
            why="The fixes did not take; reporting honestly rather than guessing.",
        )
        return False

    @staticmethod
    def _verify(auth: str, fix: str) -> str:
        return f"verify that {fix} now agrees with {auth}"

    # -- one round of fixes ----------------------------------------------------------------------

    def _fix_round(self, found: Findings, auth: str, fix: str, key: str) -> Round:
        """Inspect duplicates, confirm, delete, sync; returns False if the user said no."""
        surplus: list[tuple[str, int]] = []
        for dup in found.duplicate:
            query = Call(
                "run_query",
                {"sql": self._copies_sql(fix, key, dup)},
                why=f"Read the copies of {dup} in {fix} with a query.",
            )
            lookup = Call(
                "get_record",
                {"table": fix, "key": dup},
                why=f"{dup} appears more than once in {fix}; look at its copies to see which "
                "to keep.",
                fallbacks=[query],
            )
            got: Result = yield query if self._get_by_query else lookup
            if isinstance(got.data, dict) and "columns" in got.data:
                self._get_by_query = True  # get_record is gone: query directly from now on
            ids = sorted(int(r["id"]) for r in rows_of(got.data) if "id" in r)
            surplus.extend((dup, row_id) for row_id in ids[1:])
        if found.duplicate:
            self._mark("look at the copies of the duplicated keys")
        sync = sorted({*found.missing, *found.wrong_value, *found.format})
        limit = int(self.truth.get("bulk_limit", BULK_LIMIT))
        if found.extra or surplus or len(sync) > limit:
            answer = yield Ask(
                self._confirmation(found, surplus, sync, auth, fix, limit),
                why="Deletes, and copying more than the bulk limit at once, need the user's "
                "explicit go-ahead.",
            )
            if not gives_consent(str(answer or "")):
                return False
            self._mark("get the user's go-ahead")
        for extra in found.extra:
            deleted: Result = yield Call(
                "delete_record",
                {"table": fix, "key": extra},
                why=f"{extra} is in {fix} but not in {auth}; the user confirmed deleting it.",
            )
            self._after_delete(deleted, extra, fix)
        if found.extra:
            self._mark(self._extra_item(found, fix))
        for dup, row_id in surplus:
            deleted = yield Call(
                "delete_record",
                {"table": fix, "key": dup, "row_id": row_id},
                why=f"Remove the later copy (id {row_id}) of {dup}, keeping the first one.",
            )
            self._after_delete(deleted, dup, fix)
        if surplus:
            self._mark(self._dup_item(found))
        if sync:
            synced: Result = yield Call(
                "sync_records",
                {"from_table": auth, "to_table": fix, "keys": sync},
                why=f"Copy the missing and differing records from {auth}, the system of record, "
                f"into {fix} in one go.",
            )
            if not synced.ok:
                self._remarks.append(f"sync_records reported an error: {synced.error}")
            self._mark(self._sync_item(found, auth, fix))
        return True

    @staticmethod
    def _copies_sql(fix: str, key: str, value: str) -> str:
        return f'SELECT * FROM "{fix}" WHERE "{key}" = {sql_text(value)} ORDER BY id'

    def _mark(self, item: str) -> None:
        self.mark_done(item + self._round)

    def _after_delete(self, deleted: Result, key: str, fix: str) -> None:
        if not deleted.ok and deleted.kind == "not_found":
            self._remarks.append(f"deleting {key} reported it was already gone from {fix}")
        elif not deleted.ok:
            self._remarks.append(f"deleting {key} failed: {deleted.error}")

    # -- comparison ------------------------------------------------------------------------------

    def _compare_call(
        self, auth: str, fix: str, key: str, normalize: bool, verify: bool = False
    ) -> Call:
        query = Call(
            "run_query",
            {"sql": both_tables_sql(auth, fix), "limit": 200},
            why="Read both tables in one query to compare them row by row myself"
            + (" again." if verify else "."),
        )
        if self._compare_by_query:
            return query
        why = (
            f"Check that {fix} now agrees with {auth}."
            if verify
            else f"Compare {fix} with {auth} on {key} to see what differs before changing "
            "anything" + (", keeping formatting-only differences apart." if normalize else ".")
        )
        query.why = "compare_tables is gone; " + query.why[0].lower() + query.why[1:]
        arguments = {"left": auth, "right": fix, "key": key, "normalize": normalize}
        return Call("compare_tables", arguments, why=why, fallbacks=[query])

    def _findings(
        self, result: Result, auth: str, fix: str, key: str, normalize: bool
    ) -> Findings | None:
        data = result.data
        if not result.ok or not isinstance(data, dict):
            return None
        if "only_in_left" in data:
            return Findings.of(data, fix)
        rows = rows_of(data)
        if not rows or "side" not in rows[0]:
            return None
        self._compare_by_query = True
        spec = next(t for t in self.task.parameters["tables"] if t["name"] == auth)
        roles = {c["name"]: c["role"] for c in spec["columns"]}
        return Findings.of(compare_rows(rows, roles, key, fix, normalize), fix)

    # -- words -----------------------------------------------------------------------------------

    @staticmethod
    def _authority_from(answer: str, tables: list[str]) -> str | None:
        """The table the user named first (their answer starts with the system of record)."""
        found = []
        for name in tables:
            match = re.search(rf"(?<![a-z0-9_]){re.escape(name)}(?![a-z0-9_])", answer.lower())
            if match:
                found.append((match.start(), name))
        return min(found)[1] if found else None

    @staticmethod
    def _absent(listed: Result, tables: list[str]) -> list[str]:
        """The tables a full listing does not show (none when only one table was described)."""
        if not isinstance(listed.data, list):
            return []
        names = {str(r.get("name")) for r in listed.data if isinstance(r, dict)}
        return [t for t in tables if t not in names]

    @staticmethod
    def _extra_item(found: Findings, fix: str) -> str:
        return f"delete {plural(len(found.extra), 'extra row')} from {fix}"

    @staticmethod
    def _dup_item(found: Findings) -> str:
        return f"delete the later copies of {plural(len(found.duplicate), 'duplicated key')}"

    @staticmethod
    def _sync_item(found: Findings, auth: str, fix: str) -> str:
        n = len({*found.missing, *found.wrong_value, *found.format})
        return f"copy {plural(n, 'record')} from {auth} into {fix}"

    def _fix_items(self, found: Findings, auth: str, fix: str, again: bool = False) -> list[str]:
        sync = {*found.missing, *found.wrong_value, *found.format}
        gated = (
            found.extra
            or found.duplicate
            or len(sync) > int(self.truth.get("bulk_limit", BULK_LIMIT))
        )
        items = [
            *(["look at the copies of the duplicated keys"] if found.duplicate else []),
            *(["get the user's go-ahead"] if gated else []),
            *([self._extra_item(found, fix)] if found.extra else []),
            *([self._dup_item(found)] if found.duplicate else []),
            *([self._sync_item(found, auth, fix)] if sync else []),
        ]
        return [f"{item} (again)" for item in items] if again else items  # see _mark

    @staticmethod
    def _confirmation(
        found: Findings,
        surplus: list[tuple[str, int]],
        sync: list[str],
        auth: str,
        fix: str,
        limit: int,
    ) -> str:
        # Worded to be a plain request for confirmation (no words of the user's other topics).
        parts = []
        if found.extra:
            them = "it" if len(found.extra) == 1 else "them"
            parts.append(
                f"delete {join(found.extra)} from {fix}, since {auth} does not hold {them}"
            )
        if surplus:
            copies = [f"{k} (id {row_id})" for k, row_id in surplus]
            parts.append(f"delete the later copy of {join(copies)}, listed twice")
        if sync:
            over = f": {len(sync)} at once, above the limit of {limit}" if len(sync) > limit else ""
            parts.append(f"copy {join(sync)} from {auth} over to {fix} with sync_records{over}")
        return (
            f"Before I change {fix}: I'd like to {'; then '.join(parts)}. {auth} stays untouched. "
            "Shall I proceed?"
        )

    def _summary(self, found: Findings, auth: str, fix: str, key: str) -> str:
        done = []
        if found.missing:
            done.append(f"inserted the missing {join(found.missing)} from {auth}")
        if found.extra:
            done.append(f"deleted the extra {join(found.extra)}")
        if found.duplicate:
            done.append(f"deleted the surplus copies of {join(found.duplicate)}")
        if found.wrong_value:
            fixed = [f"{k} ({', '.join(found.columns[k])})" for k in found.wrong_value]
            done.append(f"corrected the wrong values of {join(fixed)}")
        if found.format:
            done.append(f"rewrote the formatting of {join(found.format)} as in {auth}")
        remarks = f" Note: {'; '.join(self._remarks)}." if self._remarks else ""
        return (
            f"Reconciled {fix} against {auth} (the system of record) on {key}. Mismatches found: "
            f"{found.describe()}. In {fix} I {join(done)}.{remarks} A final comparison shows "
            f"{fix} now agrees with {auth}; {auth} was not changed."
        )

    @staticmethod
    def _declined(found: Findings, auth: str, fix: str) -> str:
        return (
            f"I compared {fix} with {auth} and found {found.describe()}, but I did not get your "
            f"go-ahead, so I left {fix} unchanged. Tell me if you want me to apply the fixes."
        )

    def _fail(self, what: str, result: Result) -> Done:
        detail = f" ({result.error})" if result.error else ""
        return Done(
            f"I'm sorry, I could not finish: {what}{detail}. Done so far: "
            f"{', '.join(self._done) or 'nothing'}.",
            completed=False,
            why=f"{what}; stopping honestly.",
        )
