"""Every fragment from a template with autoescape on: CRM text is cut, escaped and bidi-isolated;
numbers and shares get one format; a missing value is a dash."""

from __future__ import annotations

import math

import jinja2
import polars as pl
import pytest

from toolkit.reporting.templating import crm, environment, num, pct, render, table

NA = "<span class='tk-na'>–</span>"


def test_crm_text_is_cut_escaped_and_isolated() -> None:
    assert crm("<img src=x onerror=alert(1)>") == "<bdi>&lt;img src=x onerror=alert(1)&gt;</bdi>"
    assert crm("O'Brien & Zoë") == "<bdi>O&#39;Brien &amp; Zoë</bdi>"
    assert crm("x" * 61) == "<bdi>" + "x" * 59 + "…</bdi>"  # 60 characters, the last one an ellipsis
    assert crm("x" * 60) == "<bdi>" + "x" * 60 + "</bdi>"
    assert crm("abcdef", limit=4) == "<bdi>abc…</bdi>"
    assert crm(None) == NA and crm(math.nan) == NA and crm(0) == "<bdi>0</bdi>"


def test_numbers_and_shares() -> None:
    assert num(1234567.891) == "1,234,568" and num(1234.55, 1) == "1,234.5" and num(0) == "0"
    assert pct(0.8125) == "81%" and pct(1) == "100%" and pct(0) == "0%"
    assert num(None) == NA and pct(float("nan")) == NA


def test_table_formats_each_kind_and_says_how_many_more() -> None:
    frame = pl.DataFrame({"rep": ["<b>Ann</b>", "Bob", "Cy"], "open": [1200, None, 3], "rate": [0.5, 0.25, None],
                          "days": [2.25, 10.0, 1.0]})
    html = table(frame, [("rep", "Rep", "text"), ("open", "Open", "int"), ("rate", "Rate", "pct"),
                         ("days", "Days", "float1")], limit=2)
    assert html == (
        '<table class="tk-table"><thead><tr><th class="tk-text">Rep</th><th class="tk-int">Open</th>'
        '<th class="tk-pct">Rate</th><th class="tk-float1">Days</th></tr></thead>\n<tbody>\n'
        '<tr><td class="tk-text"><bdi>&lt;b&gt;Ann&lt;/b&gt;</bdi></td><td class="tk-int">1,200</td>'
        '<td class="tk-pct">50%</td><td class="tk-float1">2.2</td></tr>\n'
        f'<tr><td class="tk-text"><bdi>Bob</bdi></td><td class="tk-int">{NA}</td><td class="tk-pct">25%</td>'
        '<td class="tk-float1">10.0</td></tr>\n'
        '</tbody></table>\n<p class="tk-more">… and 1 more.</p>')
    assert table(frame.head(0), [("rep", "Rep", "text")], empty="No rep.") == '<p class="tk-empty">No rep.</p>\n'


def test_the_environment_escapes_and_refuses_undefined_names() -> None:
    env = environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(jinja2.TemplateNotFound, match="no/such.html.j2"):
        render("no/such.html.j2")
