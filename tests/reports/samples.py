"""Documents and sizes the report tests share (not a test module: nothing is collected here)."""
from __future__ import annotations

from datetime import date

from app.reports import pdf

#: The demo city of :func:`tests.reports.conftest.demo_city`: its bureaus, year and password.
BUREAUS = 6
YEAR = date.today().year
PASSWORD = "demo-password-1"

HEAD = ('<html><head><title>测试</title><link rel="stylesheet" href="print/gbt9704.css">'
        '<link rel="stylesheet" href="css/findings-print.css"></head><body class="">')
ROWS = "".join(f"<tr><td>第{n}行</td><td>责任内容责任内容</td></tr>" for n in range(70))
DOCUMENT = (HEAD + '<div class="part cover"><h1 class="doc-title">封面标题</h1></div>' + pdf.PART
            + f'<div class="part"><h2>一、总体情况</h2><table><tbody>{ROWS}</tbody></table></div>' + pdf.PART
            + '<div class="part ledger-page"><p>横向页面</p></div>' + pdf.PART
            + '<div class="part"><p>最后一页</p></div></body></html>')
