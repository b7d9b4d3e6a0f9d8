"""The business domains a reconciliation task can come from: table pairs, columns, value pools."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    """Two systems that hold the same records, and what those records look like."""

    name: str
    tables: tuple[str, str]
    labels: tuple[str, str]  # how a person names each table's system
    descriptions: tuple[str, str]
    noun: str  # one record, e.g. "invoice"
    key: str
    key_prefix: str
    party: str
    parties: tuple[str, ...]
    date: str
    statuses: tuple[str, ...]
    currencies: tuple[str, ...]
    amount_range: tuple[int, int]


COMPANIES = (
    "Acme Corp", "Globex Ltd", "Initech", "Umbrella Health", "Stark Industries", "Wayne Logistics",
    "Hooli", "Vandelay Imports", "Soylent Foods", "Tyrell Systems", "Cyberdyne Labs",
    "Wonka Confections", "Pied Piper", "Massive Dynamic", "Oscorp", "Gringotts Trust",
    "Nakatomi Trading", "Dunder Mifflin", "Bluth Company", "Prestige Worldwide", "Sterling Cooper",
    "Monarch Solutions", "Blue Sun Corp", "Aperture Science", "Black Mesa", "Virtucon",
    "Genco Olive Oil", "Kramerica", "Los Pollos Hermanos", "Paper Street Soap", "Duff Brewing",
    "Krusty Krab", "Planet Express", "Ollivanders", "Zorg Industries", "Octan Energy",
    "Spacely Sprockets", "Cogswell Cogs", "Yoyodyne", "Rekall Inc",
)  # fmt: skip
PEOPLE = (
    "Ada Okafor", "Bruno Silva", "Chen Wei", "Dana Kowalski", "Elif Yilmaz", "Farah Haddad",
    "Gustav Berg", "Hana Sato", "Ivan Petrov", "Jade Martin", "Kofi Mensah", "Lena Fischer",
    "Marta Rossi", "Nikhil Rao", "Olga Ivanova", "Pablo Ortega", "Quinn Murphy", "Rosa Delgado",
    "Samir Khan", "Tess O'Neil", "Uma Patel", "Victor Hugo Lima", "Wen Li", "Ximena Cruz",
    "Yusuf Demir", "Zoe Laurent", "Arjun Mehta", "Bea Novak", "Carlos Ruiz", "Dmitri Sokolov",
    "Esther Cohen", "Finn Larsen", "Grace Kim", "Hugo Moreau", "Ines Costa", "Jonas Weber",
)  # fmt: skip

DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain(
            name="billing",
            tables=("invoices", "ledger_entries"),
            labels=("the billing system's invoice export", "the general ledger"),
            descriptions=(
                "Invoices exported from the billing system.",
                "Receivable entries posted in the general ledger.",
            ),
            noun="invoice",
            key="invoice_no",
            key_prefix="INV-",
            party="customer",
            parties=COMPANIES,
            date="issued_on",
            statuses=("open", "paid", "void"),
            currencies=("USD", "USD", "EUR", "GBP"),
            amount_range=(80, 25_000),
        ),
        Domain(
            name="orders",
            tables=("shop_orders", "warehouse_orders"),
            labels=("the web shop's order table", "the warehouse system"),
            descriptions=(
                "Orders as recorded by the web shop.",
                "Orders as received by the warehouse management system.",
            ),
            noun="order",
            key="order_id",
            key_prefix="SO-",
            party="customer",
            parties=PEOPLE,
            date="ordered_on",
            statuses=("pending", "shipped", "cancelled", "returned"),
            currencies=("EUR", "EUR", "USD", "CHF"),
            amount_range=(15, 1_800),
        ),
        Domain(
            name="payroll",
            tables=("payroll_register", "bank_payouts"),
            labels=("the payroll register", "the bank's payout file"),
            descriptions=(
                "Net pay per payslip from the payroll system.",
                "Salary payouts as executed by the bank.",
            ),
            noun="payslip",
            key="payslip_id",
            key_prefix="PS-",
            party="employee",
            parties=PEOPLE,
            date="pay_date",
            statuses=("paid", "held", "reversed"),
            currencies=("GBP", "GBP", "EUR"),
            amount_range=(1_200, 9_500),
        ),
        Domain(
            name="expenses",
            tables=("expense_claims", "reimbursements"),
            labels=("the expense tool", "the reimbursements table"),
            descriptions=(
                "Expense claims submitted by employees.",
                "Reimbursements paid out by finance.",
            ),
            noun="expense claim",
            key="claim_id",
            key_prefix="EXP-",
            party="employee",
            parties=PEOPLE,
            date="submitted_on",
            statuses=("approved", "reimbursed", "rejected"),
            currencies=("USD", "USD", "CAD", "EUR"),
            amount_range=(12, 2_400),
        ),
        Domain(
            name="subscriptions",
            tables=("crm_subscriptions", "billing_subscriptions"),
            labels=("the CRM", "the subscription billing platform"),
            descriptions=(
                "Subscriptions as tracked by sales in the CRM.",
                "Subscriptions as charged by the billing platform.",
            ),
            noun="subscription",
            key="subscription_id",
            key_prefix="SUB-",
            party="account",
            parties=COMPANIES,
            date="renews_on",
            statuses=("active", "trial", "cancelled", "past_due"),
            currencies=("USD", "EUR", "GBP", "AUD"),
            amount_range=(29, 4_900),
        ),
        Domain(
            name="donations",
            tables=("donations", "gift_receipts"),
            labels=("the donation platform", "the receipts register"),
            descriptions=(
                "Donations received through the donation platform.",
                "Tax receipts issued for gifts.",
            ),
            noun="donation",
            key="donation_id",
            key_prefix="DON-",
            party="donor",
            parties=PEOPLE,
            date="received_on",
            statuses=("received", "refunded", "pledged"),
            currencies=("USD", "USD", "CAD"),
            amount_range=(5, 5_000),
        ),
        Domain(
            name="payables",
            tables=("vendor_bills", "ap_payments"),
            labels=("the procurement system's bill register", "the accounts-payable ledger"),
            descriptions=(
                "Bills received from vendors, from procurement.",
                "Payments recorded by accounts payable.",
            ),
            noun="vendor bill",
            key="bill_no",
            key_prefix="BILL-",
            party="vendor",
            parties=COMPANIES,
            date="due_on",
            statuses=("scheduled", "paid", "disputed"),
            currencies=("USD", "USD", "EUR", "GBP"),
            amount_range=(150, 60_000),
        ),
    )
}

#: The read-only reference table every world has.
CURRENCIES = (
    ("AUD", "Australian dollar", 2),
    ("CAD", "Canadian dollar", 2),
    ("CHF", "Swiss franc", 2),
    ("EUR", "Euro", 2),
    ("GBP", "Pound sterling", 2),
    ("JPY", "Japanese yen", 0),
    ("USD", "US dollar", 2),
)
