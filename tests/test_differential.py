"""hidups against NUT 2.8.5's usbhid-ups (the reference) and Debian's 2.8.0, on one device.

For every shared capture with a report descriptor and every fill, the drivers run in
dump mode on one upsemu device file; every variable NUT 2.8.5 gives must come out of
hidups with an equal value, unless docs/differences.md ("Known differences by
capture", rows ``nut``) explains it. Debian 12's NUT 2.8.0 is the second column: the
same check against its run, with its own rows (``nut280``). NUT runs live in this
session (one batch, in parallel); 2.8.5 is the Debian sid build nut_sid.sh unpacks.

While the hidups driver cannot run at all (detected: it gives no variables on
upsemu's sample device either), hidups-side cases xfail; the moment it runs, they
are real checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import require, require_nut, require_nut285, require_shared
from differential_util import (
    Batch,
    case_id,
    describe,
    nut_cases,
    run_session_batch,
    runner,
    runs_for,
    upsc_cases,
)

NUT_CASES = nut_cases()
UPSC_CASES = upsc_cases()


@pytest.fixture(scope="session")
def batch(request: pytest.FixtureRequest) -> Batch:
    """All driver runs the selected tests need, run once, in parallel."""
    require_nut()
    require_nut285()
    require_shared()
    from upsemu_util import device_file, try_build_upsemu

    library, why = try_build_upsemu()
    require(library is not None, f"upsemu cannot be built: {why}")
    assert library is not None
    return run_session_batch(runs_for(request.session.items), library, device_file)


@pytest.mark.parametrize("mode", runner.MODES)
@pytest.mark.parametrize("case", NUT_CASES, ids=case_id)
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_hidups_matches_nut(batch: Batch, case: Any, mode: str,
                            record_property: Any) -> None:
    """Every NUT 2.8.5 variable comes out of hidups with NUT's value, or is documented."""
    check_against(batch, case, mode, "nut", record_property)


@pytest.mark.parametrize("mode", runner.MODES)
@pytest.mark.parametrize("case", NUT_CASES, ids=case_id)
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_hidups_matches_nut280(batch: Batch, case: Any, mode: str,
                               record_property: Any) -> None:
    """Second column: the same against Debian 12's NUT 2.8.0, with its own ``nut280`` rows."""
    check_against(batch, case, mode, "nut280", record_property)


def check_against(batch: Batch, case: Any, mode: str, against: str,
                  record_property: Any) -> None:
    """hidups against one NUT version's run of ``case``; ``against`` names the rows."""
    version = runner.NUT_DRIVERS[against]
    nut, hidups = batch.nut(case, mode, against), batch.hidups(case, mode)
    if nut.outcome == "error":
        # no oracle: allowed only where a (device) row says why NUT cannot run it
        assert runner.explain(batch.rows, against, case, mode, runner.DEVICE_ROW), (
            f"NUT {version} cannot run {case.name} on upsemu: {nut.stderr_tail[-3:]}")
        return
    batch.xfail_if_not_runnable(hidups)
    problem = runner.outcome_problem(nut, hidups, batch.rows, case, mode, against)
    assert problem is None, problem
    if nut.outcome != "ok":
        return  # both drivers refuse the device, as they should
    comparison = runner.compare(nut.variables, hidups.variables)
    record_property("nut_version", version)
    record_property("match", f"{comparison.matched}/{comparison.total}")
    record_property("only_in_hidups", sorted(comparison.only_hidups))
    bad = runner.undocumented(comparison, batch.rows, against, case, mode)
    assert not bad, (
        f"{case.name} {mode}: hidups matches {comparison.matched}/{comparison.total} "
        f"NUT {version} variables; undocumented differences:\n"
        f"{describe(bad, 'NUT ' + version)}"
    )


@pytest.mark.parametrize("case", UPSC_CASES, ids=case_id)
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_hidups_matches_upsc_snapshot(batch: Batch, case: Any) -> None:
    """hidups' real-fill dump against what NUT printed on the real unit."""
    hidups = batch.hidups(case, "d1")
    batch.xfail_if_not_runnable(hidups)
    assert hidups.outcome == "ok", hidups.stderr_tail
    comparison = runner.compare(runner.upsc_snapshot(case.capture), hidups.variables)
    bad = runner.undocumented(comparison, batch.rows, "upsc", case, "d1")
    assert not bad, f"{case.name}: undocumented differences:\n{describe(bad, 'upsc')}"


@pytest.mark.parametrize("case", UPSC_CASES, ids=case_id)
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_nut_matches_upsc_snapshot(batch: Batch, case: Any) -> None:
    """The upsc rows of docs/differences.md are exactly what NUT 2.8.5 itself shows.

    Every difference between NUT's real-fill run and the snapshot must be documented,
    and every row written for this capture alone must explain one, so the rows the
    hidups test relies on are neither missing nor stale.
    """
    nut = batch.nut(case, "d1")
    assert nut.outcome == "ok", nut.stderr_tail
    comparison = runner.compare(runner.upsc_snapshot(case.capture), nut.variables)
    bad = runner.undocumented(comparison, batch.rows, "upsc", case, "d1")
    assert not bad, f"{case.name}: NUT differs from its snapshot:\n{describe(bad, 'upsc')}"
    used = runner.rows_used(comparison, batch.rows, "upsc", case, "d1")
    own_rows = [r for r in batch.rows if r.against == "upsc" and r.capture_glob == case.capture]
    unused = [r for r in own_rows if r.line not in used]
    assert not unused, "rows that explain nothing: " + ", ".join(
        f"line {r.line} {r.variable}" for r in unused)


@pytest.mark.parametrize("case", UPSC_CASES, ids=case_id)
@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_comparator_agrees_with_compare_py(batch: Batch, case: Any, tmp_path: Path) -> None:
    """Our re-statement of compare.py's rules gives compare.py's own figure.

    Pairs with real differences: NUT against the upsc snapshot (text, numbers,
    excluded names) and NUT's d1 dump against its d2 dump (alarms, pollfreq).
    """
    snapshot = runner.upsc_snapshot(case.capture)
    d1, d2 = batch.nut(case, "d1").variables, batch.nut(case, "d2").variables
    for reference, other in ((snapshot, d1), (d1, d2)):
        ours = runner.compare(reference, other)
        figure = runner.compare_py_figure(runner.write_dump(reference, tmp_path / "ref.txt"),
                                          runner.write_dump(other, tmp_path / "other.txt"))
        assert figure == f"match {ours.matched}/{ours.total}"
    # the pair must really differ, or the agreement would prove little
    assert runner.compare(snapshot, d1).differing_names


@pytest.mark.nut
@pytest.mark.upsemu
@pytest.mark.slow
def test_every_known_difference_is_still_needed(batch: Batch) -> None:
    """A row that explains nothing any more is a hole in the net: delete it.

    Needs the whole batch (every case, both modes, all three drivers), so it skips when
    only part of this file is selected.
    """
    wanted = {(c, m) for c in NUT_CASES for m in runner.MODES}
    have = {(c, m) for c, result in batch.results.items() for m in result.hidups
            if m in result.nut and m in result.nut280}
    if not wanted <= have:
        pytest.skip("needs the whole differential batch: run all of tests/test_differential.py")
    if batch.probe is not None:
        pytest.xfail(f"hidups driver not runnable yet ({batch.probe})")
    stale = runner.stale_rows(batch.results, batch.rows)
    assert not stale, "docs/differences.md rows that explain no difference any more:\n" + (
        "\n".join(f"  line {r.line}: {r.against} {r.capture_glob} {r.fill_glob} {r.mode_glob} "
                  f"{r.variable} ({r.kind})" for r in stale))


def test_known_differences_table_is_well_formed() -> None:
    """Every row parses, names a known kind, and its capture glob matches a capture."""
    require_shared()
    rows = runner.load_known_differences()
    assert any(r.against == "upsc" for r in rows)
    stems = {c.capture for c in NUT_CASES}
    for row in rows:
        for glob in row.capture_glob.split(","):
            assert any(runner.matches(s, glob) for s in stems), (
                f"docs/differences.md:{row.line}: {glob.strip()!r} matches no capture")
        assert any(runner.matches(f, row.fill_glob) for f in runner.FILLS), row
        assert any(runner.matches(m, row.mode_glob) for m in runner.MODES), row


def test_every_capture_with_a_descriptor_is_a_case() -> None:
    """The case list comes from the corpus: every capture with a descriptor, every fill."""
    require_shared()
    stems = {c.capture for c in NUT_CASES}
    with_descriptor = [p for p in runner.CAPTURES.glob("*.json")
                       if (runner.json.loads(p.read_text()).get("descriptor_hex") or "").strip()]
    assert stems == {p.stem for p in with_descriptor}
    assert {c.fill for c in NUT_CASES} == set(runner.FILLS)


def test_known_differences_parser_names_file_and_line(tmp_path: Path) -> None:
    """A bad row is an error that points at the row, not a silently ignored line."""
    doc = tmp_path / "differences.md"
    doc.write_text(
        "# x\n\n## Known differences by capture\n\n"
        "| against | capture glob | fill | mode | variable | kind | reason |\n"
        "|---|---|---|---|---|---|---|\n"
        "| nut | apc-*, eaton-5e-* | * | d1 | ups.load | deliberate | rounding |\n"
        "| nut | apc-* | * | * | ups.status[+RB] | maybe | unsure |\n"
    )
    with pytest.raises(runner.ConfigError, match=r"differences\.md:8: kind must be"):
        runner.load_known_differences(doc)
    doc.write_text(doc.read_text().replace("maybe", "not yet") + "\n## Other\n| a | b |\n")
    rows = runner.load_known_differences(doc)
    assert [(r.line, r.kind) for r in rows] == [(7, "deliberate"), (8, "not yet")]
    apc, eaton = runner.Case("apc-bk650m2-ch-nutddl", "mid"), runner.Case("eaton-5e-nut515", "mid")
    assert rows[0].covers("nut", apc, "d1", "ups.load")
    assert rows[0].covers("nut", eaton, "d1", "ups.load")
    assert not rows[0].covers("nut", apc, "d2", "ups.load")
    assert not rows[0].covers("upsc", apc, "d1", "ups.load")
    assert not rows[0].covers("nut", runner.Case("eaton-3s-700-nut2887", "mid"), "d1", "ups.load")


def test_word_rows_explain_only_their_words() -> None:
    """``ups.status[+RB]`` allows an extra RB and nothing else: not a loosened compare."""
    rows = [runner.KnownDifference("nut", "*", "*", "*", "ups.status[+RB]", "not yet", "x", 1),
            runner.KnownDifference("nut", "*", "*", "*", "ups.status[-CHRG]", "not yet", "x", 2)]
    case = runner.Case("apc-bk650m2-ch-nutddl", "mid")

    def bad(nut: str, ours: str) -> bool:
        cmp = runner.compare({"ups.status": nut}, {"ups.status": ours})
        return bool(runner.undocumented(cmp, rows, "nut", case, "d1"))

    assert not bad("OB", "OB RB")
    assert not bad("OL CHRG", "OL RB")
    assert bad("OB", "OB RB LB")          # LB has no row
    assert not bad("OL CHRG", "OL")
    assert bad("OB LB", "LB OB RB")       # shared words in another order
    assert bad("OB", "ALARM OB")
    assert bad("OL", "OL ")               # spacing only: no word differs, no row applies


def test_composite_devices_run_by_nut_285_on_interface_zero(tmp_path: Path) -> None:
    """2.8.5 looks for Liebert 10af:0002 on interface 1 and Arduino on interface 2; upsemu
    has only interface 0, so the runner tells 2.8.5 so (2.8.0 has no such options)."""
    def device(vid: str, pid: str) -> Path:
        path = tmp_path / f"{vid}-{pid}.ups"
        path.write_text(f"vid: {vid}\npid: {pid}\n")
        return path

    for vid, pid in (("10af", "0002"), ("2341", "8036"), ("2341", "0001")):
        assert runner.nut_interface_options(device(vid, pid), "2.8.5") == (
            "usb_hid_rep_index=0", "usb_hid_ep_in=1")
        assert runner.nut_interface_options(device(vid, pid), "2.8.0") == ()
    for vid, pid in (("10af", "0000"), ("051d", "0002")):
        assert runner.nut_interface_options(device(vid, pid), "2.8.5") == ()
