"""Demo messages: a morning's worth of what reaches the media cell, in four languages."""

from __future__ import annotations

import json

from rabta.intake import actions as intake

DEMO_MESSAGES = [
    ("demo-01", "مردان شہر میں کل رات ہمارے گھر سے زیورات اور نقدی چوری ہو گئی، براہ کرم کارروائی کریں"),
    ("demo-02", "Firing in Hayatabad phase 3 right now, two men on a bike, please send police"),
    ("demo-03", "sir mera bhai kal se ghar nahi aya, phone bhi off hai, Mingora Swat"),
    ("demo-04", "زما موټر سایکل پرون شپه په بنو بازار کې غلا شو، مهرباني وکړئ مرسته وکړئ"),
    ("demo-05", "SHO Kohat city thana refused to register my FIR and asked for money. Please take notice."),
    ("demo-06", "GT Road near Nowshera blocked for two hours, ambulances stuck in the jam"),
    ("demo-07", "ایک لڑکا مجھے فون پر مسلسل ہراساں کر رہا ہے اور تصویریں وائرل کرنے کی دھمکی دیتا ہے، میں مردان شہر میں رہتی ہوں"),
    ("demo-08", "How can I get a character certificate for a job abroad? I live in Abbottabad."),
    ("demo-09", "Kya ye sach hai ke Peshawar mein kal se dafa 144 laga hai? WhatsApp pe message aa raha hai"),
    ("demo-10", "Thank you KP Police, the Swabi traffic wardens helped my father after his accident. Shabash!"),
    ("demo-11", "mujhe Easypaisa pe call aayi BISP ke naam pe, 25000 nikal gaye account se, DI Khan"),
    ("demo-12", "Under the KP RTI Act 2013 I request the number of FIRs registered in Charsadda district in 2025."),
]


def load_demo_cases() -> int:
    """Submit the demo messages through the public form's intake path (idempotent)."""
    channel = intake.web_form_channel()
    created = 0
    for submission, text in DEMO_MESSAGES:
        body = json.dumps({"submission_id": submission, "text": text}).encode()
        stored = intake.store_inbound_event(channel=channel, platform_id=submission, headers={}, body=body)
        intake.process_inbound_event(event_id=stored.event.pk)
        created += stored.created
    return created
