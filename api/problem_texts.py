"""Every problem type in Chinese: its title and what it means, for the /problems/ pages.

The English title and description are the ones problem+json carries (api/problems.py,
the ledger errors' docstrings); these are what a committee member, an owner or a
regulator reads when they follow a problem's ``type``. A test fails when a type has
no Chinese text here, so a new error cannot ship with an English-only page.
"""

from __future__ import annotations

ZH: dict[str, tuple[str, str]] = {
    # the ledger's refusals (ledger/errors.py)
    "ledger-error": (
        "账本拒绝",
        "账本拒绝了这条指令。",
    ),
    "invalid-command": (
        "指令无效",
        "这条指令本身不成立，请按 detail 的说明修改后重新提交。",
    ),
    "invalid-amount": (
        "金额无效",
        ('金额须为大于零、最多两位小数的十进制字符串，如 "1234.56"；不接受浮点数、指数或正负号。'),
    ),
    "invalid-area": (
        "面积无效",
        '建筑面积须为大于零、最多两位小数的十进制字符串（平方米），如 "89.50"。',
    ),
    "invalid-period": (
        "期间无效",
        "期间须写成月份（2026-07）、季度（2026-Q3）或年度（2026）。",
    ),
    "invalid-date": (
        "日期无效",
        "日期须为真实存在的日历日期，写成 YYYY-MM-DD。",
    ),
    "bank-statement-refused": (
        "银行对账单被拒收",
        "银行文件整体被拒收，其中任何内容都没有入账；reason 和 where 指出出错的元素或行。",
    ),
    "unknown-category": (
        "科目不存在",
        "科目不在规定的收入或支出科目之内。",
    ),
    "not-found": (
        "未找到",
        "不存在该编号的记录，或者当前凭证无权查看它。",
    ),
    "already-exists": (
        "已经存在",
        "这项内容已经记录过了。",
    ),
    "idempotency-key-reused": (
        "幂等键被重复使用",
        "这个 Idempotency-Key 之前用于另一份不同的请求；新的请求请换一个新键。",
    ),
    "concurrent-update": (
        "同时修改冲突",
        "另一个操作同时修改了同一条记录；请原样重试。",
    ),
    "invalid-state": (
        "状态不符",
        "这条指令与记录当前的状态不符（例如已经办结的事项不能再办）。",
    ),
    "account-opening-refused": (
        "不能开立账户",
        ("开立共有资金账户须业主委员会已备案、已刻制印章、在任期内，并至少有两名签字人（H01）。"),
    ),
    "committee-not-sealed": (
        "业主委员会尚未登记印章",
        "开立账户之前须先登记业主委员会的印章（H01）。",
    ),
    "debit-blocked": (
        "暂停付款",
        "现在不能付款：业主委员会任期届满或不在任、账户被监管部门暂停付款或已销户（H02）。",
    ),
    "insufficient-balance": (
        "余额不足",
        "付款后余额将为负数（H03）。",
    ),
    "resolution-invalid": (
        "业主大会决议不成立",
        "决议的表决计数与小区的专有部分（户数、面积）不相符（H04）。",
    ),
    "authorisation-missing": (
        "缺少支出依据",
        "这笔支出没有已通过的业主大会决议或业主委员会过半数决定覆盖（H05）。",
    ),
    "maker-checker": (
        "需要两人复核",
        "支出须由两名不同的、在任且为签字人的业主委员会委员办理，且都不是收款人（H06）。",
    ),
    "cash-limit-exceeded": (
        "超过现金限额",
        "单笔现金支付不得超过现金限额（H07）。",
    ),
    "closure-refused": (
        "不能销户",
        "销户须余额为零或将余额转入接续账户，并由在任业主委员会或监管部门办理（H13）。",
    ),
    "member-not-in-office": (
        "委员不在任",
        "业主委员会凭证只能由该小区在任业主委员会的委员使用（H15）。",
    ),
    "committee-shape": (
        "业主委员会组成不符",
        "业主委员会由 5 至 11 名委员组成，人数为单数，任期不超过 5 年（H14）。",
    ),
    "committee-out-of-order": (
        "业主委员会手续顺序不对",
        "业主委员会的手续须依次办理：选举、备案、刻制印章，然后开立账户（H14）。",
    ),
    "committee-not-filed": (
        "业主委员会尚未备案",
        "登记印章之前须先登记备案（H14）。",
    ),
    "filing-deadline-passed": (
        "超过备案期限",
        "备案晚于选举后规定的备案期限（H14）。",
    ),
    "maintenance-use-refused": (
        "不能使用维修资金",
        (
            "使用专项维修资金须有已通过的、"
            "范围为受影响专有部分的业主大会决议（第 278 条第五项），或经确认的应急情形（H08）。"
        ),
    ),
    "maintenance-payee-refused": (
        "维修资金收款人不符",
        "专项维修资金只能以转账方式付给项目的施工单位，不得付现金，不得付给个人（H07）。",
    ),
    "payout-limit-exceeded": (
        "超过拨付上限",
        "竣工验收之前，一个项目最多拨付合同金额的 70%，任何时候都不得超过预算（H09）。",
    ),
    "sub-ledger-shortfall": (
        "分户账余额不足",
        "某户的分户账余额将为负数，须由业主先续交；shortfalls 列出差额（H03）。",
    ),
    # the HTTP edge's (api/problems.py, EDGE_TYPES)
    "validation-error": (
        "请求无效",
        "有字段缺失、类型或格式不对，或不被允许；errors 按路径列出每一个字段。",
    ),
    "unauthenticated": (
        "没有有效凭证",
        "请发送 Authorization: Bearer <token>，令牌须未过期、未被吊销。",
    ),
    "forbidden": (
        "无权办理",
        "凭证有效，但它的角色在这里不能办理这项操作（H15）。",
    ),
    "method-not-allowed": (
        "不支持该方法",
        "这个地址不接受这种 HTTP 方法。",
    ),
    "body-too-large": (
        "请求体过大",
        "请求体最大 1 MiB。",
    ),
    "unsupported-media-type": (
        "不支持的媒体类型",
        "请发送 JSON（Content-Type: application/json）。",
    ),
    "idempotency-key-required": (
        "需要幂等键",
        "每一笔涉及资金的请求都须带 Idempotency-Key 请求头。",
    ),
    "request-in-progress": (
        "同一请求正在处理",
        "带这个 Idempotency-Key 的请求仍在处理中，请稍后重试。",
    ),
    "rate-limited": (
        "请求过于频繁",
        (
            "同一地址认证失败次数过多，或同一令牌短时间内写入过多。什么都没有办理："
            "请等待 Retry-After 给出的秒数后再试。"
        ),
    ),
    "catching-up": (
        "读取模型正在追赶",
        "公示数据尚未应用最新的账本事件，请几秒后重试。什么都没有记录。",
    ),
    "service-unavailable": (
        "服务暂不可用",
        (
            "数据库暂时无法连接。请在 Retry-After 给出的秒数后用同一个 Idempotency-Key 重试："
            "已经入账的写入会按原样答复，绝不会重复入账。"
        ),
    ),
    "internal-error": (
        "内部错误",
        "服务出错；没有任何内容被重复记录。请重试，若持续出现请报告，并附上 request_id。",
    ),
}
