"""The fictional company's vocabulary: its teams, the names its people and customers are drawn
from, and the texts its reps type. Data, not logic: the generator draws from these pools."""

from __future__ import annotations

COMPANY_NAME = "Northwind Instruments"
#: The label of the company's one pipeline, as HubSpot writes it into its stage columns.
PIPELINE = "Sales Pipeline"

# (name, currency, name pool)
TEAMS: tuple[tuple[str, str, str], ...] = (
    ("Nordics", "EUR", "nordic"), ("DACH", "EUR", "dach"), ("US East", "USD", "us"), ("US West", "USD", "us"),
    ("Benelux", "EUR", "benelux"), ("US Central", "USD", "us"), ("France", "EUR", "france"),
    ("US South", "USD", "us"), ("Iberia", "EUR", "iberia"), ("Italy", "EUR", "italy"), ("CEE", "EUR", "cee"),
)
SYMBOL = {"EUR": "€", "USD": "$"}

# Every character here is in cp1252: the French export is written in it.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "nordic": (("Lars", "Ingrid", "Åsa", "Mikael", "Sigrid", "Jonas", "Freja", "Henrik", "Maja", "Ola", "Kari",
                "Emil", "Linnea", "Søren", "Astrid", "Bjørn", "Elin", "Tuomas"),
               ("Ødegaard", "Solberg", "Lindqvist", "Järvinen", "Håkansson", "Nyström", "Berg", "Dahl", "Sørensen",
                "Virtanen", "Lundgren", "Halvorsen", "Eriksson", "Aaltonen", "Strøm", "Åberg")),
    "dach": (("Jürgen", "Anna", "Lukas", "Sophie", "Matthias", "Lena", "Felix", "Jörg", "Katharina", "Tobias",
              "Hannah", "Stefan", "Bärbel", "Maximilian", "Ursula", "Florian"),
             ("Müller", "Schäfer", "Weiß", "Köhler", "Bauer", "Gruber", "Hofmann", "Wagner", "Zimmermann",
              "Brückner", "Huber", "Schröder", "Fischer", "Keller", "Vogt", "Lehmann")),
    "us": (("José", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Chris", "Megan", "Kevin",
            "Lauren", "Andrés", "Zoë", "Renée", "Brian", "Tyler", "Olivia", "Marcus", "Grace"),
           ("Martínez", "Carter", "Johnson", "Nguyen", "Patel", "O'Connor", "Smith", "Ramírez", "Kim", "Brooks",
            "Sullivan", "Peña", "García", "Walker", "Chen", "Rivera", "Thompson", "Hughes", "Bennett", "Reyes")),
    "benelux": (("Sanne", "Pieter", "Daan", "Eva", "Thijs", "Lotte", "Bram", "Noor", "Wouter", "Femke", "Joris",
                 "Anouk", "Maarten", "Inès"),
                ("de Vries", "Janssen", "Peeters", "van Dijk", "Maes", "Bakker", "Dubois", "Visser", "Claes",
                 "Mertens", "Smit", "Wauters")),
    "france": (("Amélie", "Hélène", "François", "Jérôme", "Céline", "Théo", "Camille", "Louis", "Élodie", "Noël",
                "Margaux", "Benoît", "Chloé", "Gaëlle"),
               ("Lefèvre", "Dubois", "Moreau", "Girard", "Rousseau", "Faure", "Bernard", "Leroy", "Mercier",
                "Lambert", "Fontaine", "Chevalier")),
    "iberia": (("José", "María", "João", "Inês", "Álvaro", "Lucía", "Sofía", "Pedro", "Beatriz", "Tomás",
                "Núria", "Rui", "Carmen", "Iñigo"),
               ("García", "Fernández", "Gonçalves", "Muñoz", "Sánchez", "Pereira", "López", "Ferreira", "Ortiz",
                "Almeida", "Castaño", "Ibáñez")),
    "italy": (("Giulia", "Marco", "Niccolò", "Chiara", "Luca", "Francesca", "Matteo", "Sara", "Davide",
               "Federica", "Andrea", "Martina", "Nicolò", "Elena"),
              ("Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Galli", "Colombo", "Ricci", "Marino",
               "Greco", "Bruno", "Conti")),
    "cee": (("Tomáš", "Petra", "Jan", "Zuzana", "Katarína", "Marek", "Ágnes", "Péter", "Martin", "Lucie",
             "Ondrej", "Eszter", "Pavel", "Réka"),
            ("Horváth", "Kovács", "Novák", "Szabó", "Svoboda", "Tóth", "Nagy", "Procházka", "Varga", "Fekete",
             "Dvorák", "Molnár")),
}
COMPANY_PREFIXES = (
    "Fjordline", "Alpenglanz", "Brightwater", "Nordlicht", "Cascade", "Keystone", "Müller & Söhne", "Ødegård",
    "Société Lumière", "Blue Ridge", "Harborview", "Pinecrest", "Sierra", "Zürich Präzision", "Vinterhav",
    "Kastell", "Lakeshore", "Redwood", "Granite", "Aurora", "Helios", "Borealis", "Meridian", "Atlas", "Orion",
    "Vektor", "Falkenberg", "Castellana", "Lumen", "Ångström", "Bellwether", "Copperfield", "Driftwood",
    "Eisenwerk", "Frostfell", "Goldcrest", "Hollowbrook", "Ironbridge", "Juniper", "Kronstadt", "Larkspur",
    "Midtown", "Nørrebro", "Oakhaven", "Polaris", "Quarry Hill", "Rheinland", "Saltmarsh", "Tidewater",
    "Uppsala Bio", "Valencia Agro", "Westbrook", "Yellowstone", "Zephyr")
COMPANY_SUFFIXES = ("Logistics", "Energy", "Foods", "Pharma", "Retail", "Systems", "Telecom", "Manufacturing",
                     "Labs", "GmbH", "AB", "Inc.")
COMPANY_SPECIALS = ("Berg, Holm & Co", "O'Neill Freight", "Café Crème SARL", "Smith, Jones and Partners")
PRODUCTS = ("Sensor Kit", "Data Logger", "Calibration Service", "Spectrometer", "Flow Meter", "Thermal Camera",
             "Maintenance Plan", "Lab Suite", "Field Analyzer", "Training Package")
NEXT_STEPS = ("Schedule demo", "Send proposal", "Send proposal, then follow up", "Call with procurement",
               "Legal review of the MSA", "Pricing call with the CFO", "On-site workshop",
               'Send "final" pricing', "Security questionnaire", "Reference call", "Réunion de cadrage",
               "Technical deep-dive", "Confirm budget", "Draft SOW; align on scope")
