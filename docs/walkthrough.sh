#!/usr/bin/env bash
# The README's walk-through, runnable: the main flow over HTTP with curl and jq.
# usage: docs/walkthrough.sh [BASE_URL]   (a server from `make run` on 127.0.0.1:8000)
# CI runs it against a fresh server, so the README's commands cannot rot.
set -euo pipefail
BASE=${1:-http://127.0.0.1:8000}
CF=${COMMONFUND_BIN:-.venv/bin/commonfund}
day() { date -u -d "$1 days" +%F; }
post() {  # post TOKEN PATH JSON [IDEMPOTENCY-KEY]
    curl -sS -X POST "$BASE$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        ${4:+-H "Idempotency-Key: $4"} -d "$3"
}
get() { curl -sS "$BASE$2" -H "Authorization: Bearer $1"; }
run=$(date +%s)  # makes codes and keys unique, so the script can run again

# 1. The operator's token comes from the command line; the rest from the API.
OP=$($CF token issue --role operator --label "walk-through" | tail -n 1)

# 2. Register a complex with its units (floor areas in m², identity keys as HMAC hex).
UNITS=$(for i in $(seq 1 12); do
    printf '{"unit_id":"1-%03d","building":"1","floor_area":"89.50","owner_key":"%064x"},' "$i" "$((run + i))"
done | sed 's/,$//')
CID=$(post "$OP" /v1/complexes "{\"code\":\"WALK-$run\",\"name\":\"海韵花园\",\"district\":\"370202\",
  \"street\":\"370202001\",\"community\":\"370202001001\",\"units\":[$UNITS]}" | jq -r .id)
echo "complex $CID"

# 3. Tokens for the district regulator and, after the election, two committee members.
token() { post "$OP" /v1/admin/tokens "$1" | jq -r .token; }
REG=$(token '{"role":"regulator","jurisdiction":"370202","label":"市南区住建局"}')

# 4. The owners' assembly elects the committee (art. 278 item 3), recorded by the street office.
ALL=$(printf '"1-%03d",' $(seq 1 12) | sed 's/,$//')
RES=$(post "$REG" "/v1/complexes/$CID/resolutions" "{\"matter\":3,\"purpose\":\"选举业主委员会\",
  \"period_from\":\"$(day -60)\",\"period_to\":\"$(day -60)\",\"participated\":[$ALL],
  \"consented\":[$ALL],\"closed_on\":\"$(day -60)\"}" | jq -r .id)
MEMBERS=$(for i in 1 2 3 4 5; do
    role=member; [ "$i" = 1 ] && role=chair
    printf '{"member_id":"m%d","name":"委员%d","identity_key":"%064x","role":"%s","signatory":%s},' \
        "$i" "$i" "$((run * 10 + i))" "$role" "$([ "$i" -le 3 ] && echo true || echo false)"
done | sed 's/,$//')
KID=$(post "$REG" "/v1/complexes/$CID/committees" "{\"election_resolution_id\":\"$RES\",
  \"elected_on\":\"$(day -60)\",\"term_end\":\"$(day 900)\",\"members\":[$MEMBERS]}" | jq -r .id)
M1=$(token "{\"role\":\"committee\",\"complex_id\":\"$CID\",\"member_id\":\"m1\"}")
M2=$(token "{\"role\":\"committee\",\"complex_id\":\"$CID\",\"member_id\":\"m2\"}")

# 5. Filing with the district, then the seal, then the account (H14, H01).
post "$REG" "/v1/committees/$KID/filing" "{\"number\":\"市南备〔2026〕18号\",
  \"authority\":\"市南区住房和城乡建设局\",\"filed_on\":\"$(day -50)\"}" | jq -c '{status}'
post "$M1" "/v1/committees/$KID/seal" "{\"seal_number\":\"3702020012345\",\"sealed_on\":\"$(day -45)\"}" \
    | jq -c '{status}'
AID=$(post "$M1" "/v1/complexes/$CID/account" "{\"bank\":\"青岛银行市南支行\",
  \"bank_code\":\"313452060150\",\"account_number\":\"6228480012345678\",\"signatories\":[\"m1\",\"m2\",\"m3\"],
  \"opened_on\":\"$(day -40)\"}" | jq -r .id)
echo "account $AID"

# 6. Income collected by the property company: gross, its deduction and the contracted rate.
post "$M1" "/v1/accounts/$AID/income" "{\"category\":\"parking\",
  \"payer\":{\"name\":\"青岛某物业服务有限公司\",\"kind\":\"organisation\"},\"amount\":\"8500.00\",
  \"value_date\":\"$(day -1)\",\"collected\":{\"collector\":\"青岛某物业服务有限公司\",
  \"gross\":\"10000.00\",\"deduction\":\"1500.00\",\"contracted_rate\":\"0.15\"}}" "inc-$run-1" \
    | jq -c '{id, amount}'

# 7. A committee decision (majority of members in office) covers small payments (H05).
DEC=$(post "$M1" "/v1/committees/$KID/decisions" "{\"purpose\":\"小区公共区域保洁\",
  \"amount_cap\":\"20000.00\",\"decided_on\":\"$(day -5)\",\"approvers\":[\"m1\",\"m2\",\"m3\"]}" \
    | jq -r .id)

# 8. Maker–checker (H06): m1 proposes, m2 approves, and the payment is booked.
EXP=$(post "$M1" "/v1/accounts/$AID/expenditures" "{\"category\":\"cleaning_greening\",
  \"payee\":{\"name\":\"青岛洁美保洁有限公司\",\"kind\":\"organisation\"},\"method\":\"transfer\",
  \"amount\":\"3200.00\",\"purpose\":\"小区公共区域保洁\",\"value_date\":\"$(day 0)\",
  \"authorisation\":{\"kind\":\"decision\",\"id\":\"$DEC\"}}" "exp-$run-1" | jq -r .id)
post "$M2" "/v1/accounts/$AID/expenditures/$EXP/approvals" '' "appr-$run-1" \
    | jq -c '{status, approvals}'
get "$M1" "/v1/accounts/$AID" | jq -c '{balance, status}'

# 9. A regulator suspends payments: a debit is refused with H02; income still counts.
post "$REG" "/v1/accounts/$AID/suspension" '{"reason":"核查可疑支出"}' | jq -c '{payments_suspended}'
post "$M1" "/v1/accounts/$AID/expenditures" "{\"category\":\"cleaning_greening\",
  \"payee\":{\"name\":\"青岛洁美保洁有限公司\",\"kind\":\"organisation\"},\"method\":\"transfer\",
  \"amount\":\"100.00\",\"purpose\":\"小区公共区域保洁\",\"value_date\":\"$(day 0)\",
  \"authorisation\":{\"kind\":\"decision\",\"id\":\"$DEC\"}}" "exp-$run-2" | jq -c '{type, rule, detail}'
curl -sS -X DELETE "$BASE/v1/accounts/$AID/suspension" -H "Authorization: Bearer $REG" \
    | jq -c '{payments_suspended}'

# 10. The entries, and the balance on a past date.
get "$REG" "/v1/accounts/$AID/entries?limit=10" | jq -c '[.items[] | {kind, amount, counterparty}]'
get "$REG" "/v1/accounts/$AID/balance?as_of=$(day -2)" | jq -c '{as_of, balance}'

# 11. Statements: this month's live draft; the committee publishes last month (H11), and
#     anyone reads it without a token, with the digest to check it against the ledger.
get "$M1" "/v1/complexes/$CID/statements/$(date +%Y-%m)/draft" \
    | jq -c '{status, opening: .content.opening_balance, closing: .content.closing_balance}'
LAST=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m)
post "$M1" "/v1/complexes/$CID/statements/$LAST/publication" '' "pub-$run-1" \
    | jq -c '{status, version, content_hash}'
curl -sS "$BASE/v1/public/complexes/$CID/statements/$LAST" \
    | jq -c '{status, version, closing: .content.closing_balance, root: .digest.root}'
echo "owners' page: $BASE/complexes/$CID/statements/$LAST"

# 12. The maintenance fund (issue #6): the authority (the district regulator) records every
#     unit's first deposit from a CSV; the owners of 1-001…1-004 vote a roof repair (matter 5,
#     the plan public 10 days before the vote closed); the committee plans it and pays the
#     contractor an advance, proposed by m1 and approved by m2 (two signatories, H06), borne
#     by the four units by floor area (H03, H07, H09); the owner of 1-001 reads their own
#     sub-ledger (no one else's), and the fund's totals.
CSV=$(printf 'unit_id,amount\n'; for i in $(seq 1 12); do printf '1-%03d,4475.00\n' "$i"; done)
curl -sS -X POST "$BASE/v1/complexes/$CID/maintenance-fund/deposits?kind=first&value_date=$(day -30)" \
    -H "Authorization: Bearer $REG" -H 'Content-Type: text/csv' -H "Idempotency-Key: mf-$run-1" \
    --data-binary "$CSV" | jq -c '{units, total, fund_balance}'
FOUR='"1-001","1-002","1-003","1-004"'
VOTE=$(post "$REG" "/v1/complexes/$CID/resolutions" "{\"matter\":5,\"purpose\":\"使用专项维修资金维修屋面\",
  \"amount_cap\":\"20000.00\",\"period_from\":\"$(day -25)\",\"period_to\":\"$(day 180)\",
  \"scope_units\":[$FOUR],\"participated\":[$FOUR],\"consented\":[$FOUR],
  \"closed_on\":\"$(day -10)\"}" | jq -r .id)
PRJ=$(post "$M1" "/v1/complexes/$CID/maintenance-fund/projects" "{\"title\":\"1号楼屋面防水维修\",
  \"items\":[{\"description\":\"防水卷材及人工\",\"amount\":\"12000.00\"}],\"budget\":\"12000.00\",
  \"contract_sum\":\"11800.00\",\"contractor\":{\"name\":\"青岛某建筑工程有限公司\",
  \"bank_account\":\"3802020109000012345\"},\"affected_units\":[$FOUR],
  \"plan_published_on\":\"$(day -20)\",\"resolution_id\":\"$VOTE\"}" | jq -r .id)
PAY=$(post "$M1" "/v1/maintenance-projects/$PRJ/disbursements" "{\"amount\":\"3540.00\",
  \"payee\":\"青岛某建筑工程有限公司\",\"method\":\"transfer\",\"value_date\":\"$(day 0)\",
  \"reference\":\"预付款 30%\"}" "mf-$run-2" | jq -r .id)          # proposed by m1: nothing moves yet
curl -sS -X POST "$BASE/v1/maintenance-projects/$PRJ/disbursements/$PAY/approvals" \
    -H "Authorization: Bearer $M2" -H "Idempotency-Key: mf-$run-3" -H 'Prefer: read-your-writes' \
    | jq -c '{status, approvals, amount, units, fund_balance}'     # m2, a second signatory: booked (H06)
OWNER=$(token "{\"role\":\"owner\",\"complex_id\":\"$CID\",\"owner_key\":\"$(printf '%064x' $((run + 1)))\"}")
get "$OWNER" "/v1/units/1-001/maintenance-ledger" \
    | jq -c '{balance, items: [.items[] | {kind, amount, balance_after}]}'
get "$OWNER" "/v1/units/$CID:1-002/maintenance-ledger" | jq -c '{status, type}'   # 403: a neighbour's
get "$M1" "/v1/complexes/$CID/maintenance-fund" | jq -c '{balance, units, disbursed}'

# 13. The bank feed (issue #14): the operator issues the bank's token (scoped to its CNAPS
#     code); the bank posts its camt.053 day-end statement; the ledger's income and payment
#     match, a payment the books never show stays unmatched (B01 once a working day passes).
BANK=$(token '{"role":"bank","bank_code":"313452060150","label":"青岛银行 对账接口"}')
ntry() {  # ntry REF AMOUNT CRDT|DBIT DATE NAME
    printf '<Ntry><Amt Ccy="CNY">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>' "$2" "$3"
    printf '<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>%s</AcctSvcrRef>' "$4" "$4" "$1"
    printf '<NtryDtls><TxDtls><RltdPties><%s><Pty><Nm>%s</Nm></Pty></%s></RltdPties></TxDtls></NtryDtls></Ntry>' \
        "$([ "$3" = CRDT ] && echo Dbtr || echo Cdtr)" "$5" "$([ "$3" = CRDT ] && echo Dbtr || echo Cdtr)"
}
bal() { printf '<Bal><Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>' "$@"; }
STMT="<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>
<GrpHdr><MsgId>QDB-$run</MsgId><CreDtTm>$(day 0)T06:00:00+08:00</CreDtTm></GrpHdr>
<Stmt><Id>QDB-STMT-$run</Id><ElctrncSeqNb>1</ElctrncSeqNb>
<Acct><Id><Othr><Id>6228480012345678</Id></Othr></Id><Ccy>CNY</Ccy></Acct>
$(bal OPBD 0.00 CRDT "$(day -2)")$(bal CLBD 4700.00 CRDT "$(day 0)")
$(ntry "QDB$run-1" 8500.00 CRDT "$(day -1)" 青岛某物业服务有限公司)
$(ntry "QDB$run-2" 3200.00 DBIT "$(day 0)" 青岛洁美保洁有限公司)
$(ntry "QDB$run-3" 600.00 DBIT "$(day 0)" 张某)
</Stmt></BkToCstmrStmt></Document>"
curl -sS -X POST "$BASE/v1/accounts/$AID/bank-statements" -H "Authorization: Bearer $BANK" \
    -H 'Content-Type: application/xml' --data-binary "$STMT" | jq -c '{statements, lines, matched}'
#   {"statements":1,"lines":3,"matched":2}   the same file again: {"statements":0,"lines":0,…}
get "$M1" "/v1/accounts/$AID/reconciliation" \
    | jq -c '{bank_balance, ledger_balance, difference, unmatched: [.unmatched_bank[] | {key, amount}]}'
get "$BANK" "/v1/accounts/$AID/entries" | jq -c '{status}'   # 404: a bank reads only its feed
