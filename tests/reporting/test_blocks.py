"""The block a section returns and the verdict words the team and org pages share."""

from __future__ import annotations

from markupsafe import Markup

from toolkit.reporting.blocks import Block, section, verdict_view


def test_verdict_view_never_shows_what_could_not_be_judged_in_red() -> None:
    assert verdict_view("in control", has_history=True) == ("In control", "ok", "only routine variation week to week")
    assert verdict_view("signal: WE1, WE4", has_history=True) == ("Signal", "signal", "WE1, WE4")
    assert verdict_view("signal", has_history=True) == ("Signal", "signal", "")
    assert verdict_view("not enough weeks", has_history=True) == (
        "Not known", "neutral", "too few weeks with enough stage moves to judge")
    assert verdict_view(None, has_history=False) == (
        "Not known", "neutral", "the export has no stage history to judge it by")
    # without history even a stray "signal" is a signal: the verdict is the chart's, not the export's
    assert verdict_view("signal: WE2", has_history=False)[1] == "signal"


def test_section_escapes_text_and_keeps_markup() -> None:
    block = section("funnel", "Deals <b>", [("p", "5 < 6 & <script>"), ("html", Markup("<svg></svg>")),
                                            ("absent", "none"), ("note", "n"), ("h3", "H")], appendix_start=True)
    assert isinstance(block, Block) and block.section == "funnel"
    assert block._repr_html_() == str(block) == block.html
    assert block.html == (
        "<section class='tk-section tk-appendix-start' id='funnel' data-section='funnel'>\n"
        '<p class="tk-appendix-label">Appendix: the detail behind page 1</p><h2>Deals &lt;b&gt;</h2>\n'
        "<p>5 &lt; 6 &amp; &lt;script&gt;</p>\n<svg></svg>\n"
        '<p class="tk-absent">none</p>\n<p class="tk-note">n</p>\n<h3>H</h3>\n</section>')
    assert section("x", "T", [("p", "a")]).html == (
        "<section class='tk-section' id='x' data-section='x'>\n<h2>T</h2>\n<p>a</p>\n</section>")
