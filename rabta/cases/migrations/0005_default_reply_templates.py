"""Default reply templates in English, Urdu, Pashto and Roman Urdu (admins edit or add more)."""

from django.db import migrations

TEMPLATES = [
    ("Received and forwarded", "en", "", "Thank you for contacting KP Police. Your request has been forwarded to the officer responsible, who will contact you soon."),
    ("Received and forwarded", "ur", "", "کے پی پولیس سے رابطہ کرنے کا شکریہ۔ آپ کی درخواست متعلقہ افسر کو بھیج دی گئی ہے، وہ جلد آپ سے رابطہ کریں گے۔"),
    ("Received and forwarded", "ps", "", "د خیبر پښتونخوا پولیسو سره د اړیکې مننه. ستاسو غوښتنه اړوند افسر ته ولېږل شوه، هغه به ژر له تاسو سره اړیکه ونیسي."),
    ("Received and forwarded", "ur-Latn", "", "KP Police se rabta karne ka shukriya. Aap ki darkhwast mutalliqa officer ko bhej di gayi hai, woh jald aap se rabta karenge."),
    ("FIR registered", "en", "crime_report", "An FIR has been registered on your complaint. The investigating officer will keep you informed."),
    ("FIR registered", "ur", "crime_report", "آپ کی شکایت پر ایف آئی آر درج کر لی گئی ہے۔ تفتیشی افسر آپ کو آگاہ رکھے گا۔"),
    ("FIR registered", "ps", "crime_report", "ستاسو په شکایت ایف آی آر ثبت شوه. د تحقیق افسر به تاسو خبر ساتي."),
    ("Emergency: call 15", "en", "emergency", "Please call 15 now if you are in danger. Police have been alerted to your message."),
    ("Emergency: call 15", "ur", "emergency", "اگر آپ خطرے میں ہیں تو فوراً 15 پر کال کریں۔ پولیس کو آپ کے پیغام سے آگاہ کر دیا گیا ہے۔"),
    ("Emergency: call 15", "ps", "emergency", "که تاسو په خطر کې یاست نو سمدستي 15 ته زنګ ووهئ. پولیس ستاسو له پیغام خبر شوي."),
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReplyTemplate = apps.get_model("cases", "ReplyTemplate")  # noqa: N806 - Django's historical model
    if not ReplyTemplate.objects.exists():
        ReplyTemplate.objects.bulk_create(ReplyTemplate(name=n, language=lang, category=c, text=t) for n, lang, c, t in TEMPLATES)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_reply_templates")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
