"""A deterministic synthetic deck set for the build benchmarks.

``generate(root)`` writes about 30,000 notes over about 300 deck files in a few
folders under ``root`` (the deck root), plus a handful of small shared PNG
images in ``root/img``. Everything comes from one seeded ``random.Random``, so
the same seed always gives byte-identical files.

Mix of note kinds (exact counts, then shuffled): 40 % cloze (some as list
items), 30 % basic (about a quarter of them reversed ``R:``), 20 % ``List:``
notes with 3-6 items, 10 % image occlusion over the shared images. Text is
medical-sounding, of varied length, with **bold**, *italics*, ``code``,
sub/superscript (``H~2~O``, ``Ca^2+^``), the occasional table in an answer,
headings, front matter on most files and ``^ids`` on some notes. No two notes
have the same text, so a build gives no diagnostics at all.

``edit_notes(deck_set, root)`` rewords a few words in 1 % of the notes
(chosen at random across files) in place, keeping every line where it is.

Run as a script to write a deck set somewhere for manual use::

    .venv/bin/python tests/benchmarks/synthetic.py /tmp/bench-decks [NOTES] [FILES]
"""

from __future__ import annotations

import random
import re
import struct
import sys
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_NOTES = 30_000
DEFAULT_FILES = 300
DEFAULT_SEED = 20240611

KIND_SHARES = (("cloze", 0.40), ("basic", 0.30), ("list", 0.20), ("occlusion", 0.10))

# -- vocabulary ---------------------------------------------------------------

# fmt: off
CONDITIONS = [
    "myocardial infarction", "hepatic cirrhosis", "acute tubular necrosis", "sarcoidosis", "tuberculosis",
    "amyloidosis", "haemochromatosis", "Wilson disease", "systemic lupus erythematosus", "rheumatic fever",
    "infective endocarditis", "diabetic nephropathy", "membranous nephropathy", "Hashimoto thyroiditis",
    "Graves disease", "Addison disease", "Cushing syndrome", "phaeochromocytoma", "Crohn disease",
    "ulcerative colitis", "coeliac disease", "pernicious anaemia", "sickle cell disease", "beta thalassaemia",
    "hereditary spherocytosis", "multiple myeloma", "Hodgkin lymphoma", "chronic myeloid leukaemia",
    "aortic dissection", "Marfan syndrome", "primary hyperparathyroidism", "sarcoid granulomatosis",
    "acute pancreatitis", "chronic pancreatitis", "alcoholic hepatitis", "primary biliary cholangitis",
    "nephrotic syndrome", "nephritic syndrome", "IgA nephropathy", "polycystic kidney disease",
    "pulmonary embolism", "bronchiectasis", "cystic fibrosis", "asbestosis", "silicosis",
    "giant cell arteritis", "Kawasaki disease", "polyarteritis nodosa", "temporal arteritis",
    "osteoporosis", "Paget disease of bone", "osteomalacia", "rickets", "gout", "pseudogout",
    "rheumatoid arthritis", "ankylosing spondylitis", "myasthenia gravis", "multiple sclerosis",
    "Parkinson disease", "Alzheimer disease", "Huntington disease", "Guillain-Barre syndrome",
    "hypertrophic cardiomyopathy", "dilated cardiomyopathy", "constrictive pericarditis",
    "mitral stenosis", "aortic stenosis", "atrial fibrillation", "Zollinger-Ellison syndrome",
    "Barrett oesophagus", "achalasia", "Hirschsprung disease", "pyloric stenosis", "intussusception",
    "Wilms tumour", "neuroblastoma", "retinoblastoma", "medullary thyroid carcinoma",
    "papillary thyroid carcinoma", "small cell lung carcinoma", "squamous cell carcinoma",
    "hepatocellular carcinoma", "renal cell carcinoma", "dystrophic calcification",
    "metastatic calcification", "fat necrosis", "caseous necrosis", "liquefactive necrosis",
]
ORGANS = [
    "heart", "liver", "kidney", "lung", "spleen", "pancreas", "thyroid gland", "adrenal cortex", "adrenal medulla",
    "stomach", "duodenum", "jejunum", "terminal ileum", "colon", "rectum", "brain", "spinal cord", "bone marrow",
    "lymph node", "skin", "aorta", "coronary artery", "gallbladder", "prostate", "uterus", "ovary", "testis",
    "parathyroid gland", "pituitary gland", "myocardium", "pericardium", "pleura", "alveolar wall",
    "glomerulus", "proximal tubule", "loop of Henle", "collecting duct", "portal tract", "bile duct",
    "synovium", "cartilage", "cortical bone", "basal ganglia", "substantia nigra", "hippocampus",
]
FINDINGS = [
    "caseating granulomas", "non-caseating granulomas", "Reed-Sternberg cells", "Councilman bodies",
    "Mallory-Denk bodies", "psammoma bodies", "apple-green birefringence", "target cells", "Howell-Jolly bodies",
    "glomerular crescents", "wire-loop lesions", "Aschoff bodies", "Anitschkow cells", "Lewy bodies",
    "neurofibrillary tangles", "Pick bodies", "Negri bodies", "Charcot-Leyden crystals", "Curschmann spirals",
    "ferruginous bodies", "Russell bodies", "Auer rods", "smudge cells", "schistocytes", "spherocytes",
    "Heinz bodies", "bite cells", "ring sideroblasts", "hypersegmented neutrophils", "koilocytes",
    "signet ring cells", "Orphan Annie eye nuclei", "Hurthle cells", "Kimmelstiel-Wilson nodules",
    "onion-skin arteriolosclerosis", "fibrinoid necrosis", "coagulative necrosis", "granulation tissue",
    "foam cells", "fatty streaks", "crypt abscesses", "skip lesions", "transmural inflammation",
    "villous atrophy", "intestinal metaplasia", "interface hepatitis", "bridging fibrosis", "micronodular cirrhosis",
    "macronodular cirrhosis", "basophilic stippling", "rouleaux formation", "punched-out lytic lesions",
]
CELLS = [
    "neutrophils", "macrophages", "CD4+ T cells", "CD8+ T cells", "plasma cells", "eosinophils", "mast cells",
    "hepatocytes", "podocytes", "cardiomyocytes", "osteoclasts", "osteoblasts", "Kupffer cells",
    "stellate cells", "type II pneumocytes", "parietal cells", "chief cells", "goblet cells", "Paneth cells",
    "mesangial cells", "juxtaglomerular cells", "Schwann cells", "oligodendrocytes", "microglia",
    "epithelioid histiocytes", "Langhans giant cells", "fibroblasts", "myofibroblasts", "endothelial cells",
]
DRUGS = [
    "metformin", "atorvastatin", "warfarin", "unfractionated heparin", "amiodarone", "digoxin", "furosemide",
    "spironolactone", "lisinopril", "losartan", "propranolol", "isoniazid", "rifampicin", "vancomycin",
    "gentamicin", "ciprofloxacin", "methotrexate", "imatinib", "cyclophosphamide", "tacrolimus", "ciclosporin",
    "allopurinol", "colchicine", "levothyroxine", "carbimazole", "hydrocortisone", "fludrocortisone",
    "omeprazole", "ondansetron", "levodopa", "donepezil", "pyridostigmine", "phenytoin", "sodium valproate",
    "lithium carbonate", "clozapine", "haloperidol", "salbutamol", "tiotropium", "montelukast",
]
MECHANISMS = [
    "inhibition of HMG-CoA reductase", "blockade of the Na^+^/K^+^/2Cl^-^ cotransporter",
    "antagonism of aldosterone at the mineralocorticoid receptor", "inhibition of vitamin K epoxide reductase",
    "potentiation of antithrombin III", "inhibition of the Na^+^/K^+^ ATPase", "inhibition of calcineurin",
    "inhibition of xanthine oxidase", "inhibition of microtubule polymerisation", "inhibition of DNA gyrase",
    "binding to the 30S ribosomal subunit", "binding to D-Ala-D-Ala cell wall precursors",
    "inhibition of mycolic acid synthesis", "inhibition of DNA-dependent RNA polymerase",
    "inhibition of dihydrofolate reductase", "inhibition of the BCR-ABL tyrosine kinase",
    "DNA cross-linking by alkylation", "irreversible inhibition of the H^+^/K^+^ ATPase",
    "antagonism of 5-HT~3~ receptors", "inhibition of acetylcholinesterase", "blockade of beta~1~ receptors",
    "blockade of voltage-gated Na^+^ channels", "agonism at beta~2~ receptors", "antagonism of M~3~ receptors",
    "antagonism of leukotriene receptors", "activation of AMP-activated protein kinase",
    "inhibition of angiotensin-converting enzyme", "antagonism of the AT~1~ receptor",
]
MOLECULES = [
    "H~2~O", "CO~2~", "Ca^2+^", "Na^+^", "K^+^", "HCO~3~^-^", "Fe^3+^", "O~2~", "PaCO~2~", "Mg^2+^",
    "PO~4~^3-^", "NH~4~^+^", "H^+^", "Cl^-^", "Zn^2+^", "Cu^2+^", "HbA~1c~", "T~3~", "T~4~", "PGE~2~",
]
CODES = [
    "HLA-B27", "BRCA1", "JAK2 V617F", "t(9;22)", "BCR-ABL", "CFTR", "HLA-DR3", "HLA-DQ2", "t(14;18)",
    "t(8;14)", "RET", "APC", "KRAS", "TP53", "HFE C282Y", "ATP7B", "FBN1", "PKD1", "NF1", "VHL", "MEN2A",
    "ICD-10 E11", "anti-dsDNA", "c-ANCA", "p-ANCA", "anti-TPO", "anti-tTG",
]
POPULATIONS = [
    "children", "young adults", "the elderly", "pregnant women", "smokers", "alcoholics",
    "immunocompromised patients", "patients on dialysis", "people of Mediterranean descent",
    "post-menopausal women", "neonates", "patients with diabetes mellitus", "intravenous drug users",
]
LAB_CHANGES = ["raised", "reduced", "normal", "markedly raised", "mildly reduced", "unchanged", "low-normal"]
PREFIXES = [
    "", "", "", "", "Classically, ", "In adults, ", "On biopsy, ", "On light microscopy, ", "Clinically, ",
    "In most cases, ", "At autopsy, ", "Histologically, ", "In the exam, ", "Characteristically, ",
]
SUFFIXES = [
    "", "", "", "", ", especially in {population}", " (see also {condition})", ", which is a classic exam question",
    ", and this distinguishes it from {condition}", " within the first {n} weeks", ", although {finding} may also be seen",
    "; {molecule} is usually {change}", ", best seen with `{code}` testing",
]
TOPICS = [
    "Pathogenesis", "Morphology", "Clinical features", "Investigations", "Management", "Complications",
    "Differential diagnosis", "Epidemiology", "Pharmacology", "Histology", "Prognosis", "Aetiology",
]
FOLDERS = {
    "pathology/cardiovascular": 34, "pathology/renal": 30, "pathology/gastrointestinal": 36,
    "pathology/haematology": 30, "pharmacology": 50, "physiology": 40, "microbiology": 30, "anatomy": 50,
}
IMAGES = {
    "heart.png": ["Left ventricle", "Right ventricle", "Left atrium", "Right atrium", "Aortic arch",
                  "Pulmonary trunk", "Mitral valve", "Tricuspid valve", "Interventricular septum", "Apex"],
    "kidney.png": ["Renal cortex", "Renal medulla", "Renal pelvis", "Ureter", "Renal artery", "Renal vein",
                   "Minor calyx", "Major calyx", "Renal column", "Capsule"],
    "liver.png": ["Central vein", "Portal vein branch", "Hepatic artery branch", "Bile ductule", "Sinusoid",
                  "Zone one", "Zone three", "Space of Disse", "Kupffer cell", "Hepatocyte plate"],
    "brain.png": ["Frontal lobe", "Parietal lobe", "Temporal lobe", "Occipital lobe", "Cerebellum",
                  "Brainstem", "Corpus callosum", "Thalamus", "Lateral ventricle", "Insula"],
    "lung.png": ["Upper lobe", "Middle lobe", "Lower lobe", "Oblique fissure", "Horizontal fissure",
                 "Main bronchus", "Hilum", "Pleural cavity", "Diaphragm", "Carina"],
    "femur.png": ["Femoral head", "Femoral neck", "Greater trochanter", "Lesser trochanter", "Shaft",
                  "Medial condyle", "Lateral condyle", "Patellar surface", "Linea aspera", "Adductor tubercle"],
}

# Words used to reword notes in edit_notes (lowercase, 4+ letters: never syntax).
REWORD_WORDS = [
    "marked", "mild", "severe", "acute", "chronic", "diffuse", "focal", "early", "late", "typical", "rare",
    "common", "classic", "recurrent", "progressive", "bilateral", "unilateral", "primary", "secondary",
    "systemic", "localised", "patchy", "extensive", "subtle", "prominent", "persistent", "transient",
]
# fmt: on
_EDITABLE_WORD_RE = re.compile(r"(?<![\w^~`/.:+-])[a-z]{4,}(?![\w^~`/:+-])")
_ITEM_MARKER_RE = re.compile(r"^(?:-|\d+\.) ")
_TRAILING_ID_RE = re.compile(r" \^cd-\d+$")
_SHAPE_LABEL_RE = re.compile(r"^(?:rect|ellipse)(?: \S+){4} |^polygon(?: \S+,\S+)+ ")


@dataclass(frozen=True, slots=True)
class NoteSpan:
    """Where a generated note sits: ``rel`` file, 0-based lines ``start`` up to ``end`` (exclusive)."""

    rel: str
    kind: str
    start: int
    end: int
    cards: int


@dataclass(slots=True)
class DeckSet:
    root: Path
    files: list[str] = field(default_factory=list)
    notes: list[NoteSpan] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @property
    def expected_cards(self) -> int:
        return sum(n.cards for n in self.notes)

    def kind_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for n in self.notes:
            counts[n.kind] += 1
        return dict(counts)


# -- images --------------------------------------------------------------------


def png_bytes(width: int, height: int, rng: random.Random) -> bytes:
    """A real RGB PNG (filter 0 rows of a few colour bands), written with zlib and struct."""
    palette = [bytes(rng.randrange(256) for _ in range(3)) for _ in range(4)]
    rows = []
    for y in range(height):
        band = palette[(y * 4) // height]
        rows.append(b"\x00" + b"".join(band if (x // 16 + y // 16) % 3 else palette[3] for x in range(width)))
    raw = b"".join(rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# -- text ------------------------------------------------------------------------


class _Text:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def pick(self, seq: list[str]) -> str:
        return self.r.choice(seq)

    def fill(self, template: str) -> str:
        return template.format(
            population=self.pick(POPULATIONS),
            condition=self.pick(CONDITIONS),
            n=self.r.randint(2, 12),
            finding=self.pick(FINDINGS),
            molecule=self.pick(MOLECULES),
            change=self.pick(LAB_CHANGES),
            code=self.pick(CODES),
            organ=self.pick(ORGANS),
            cell=self.pick(CELLS),
            drug=self.pick(DRUGS),
        )

    def decorate(self, phrase: str) -> str:
        """Occasionally bold or italicise a phrase."""
        roll = self.r.random()
        if roll < 0.12:
            return f"**{phrase}**"
        if roll < 0.20:
            return f"*{phrase}*"
        return phrase

    def sentence(self) -> str:
        """A statement of varied length, with some inline Markdown."""
        core = self.pick(
            [
                "{condition} affects the {organ} through {finding}",
                "{cell} in the {organ} produce {finding}",
                "{drug} acts by " + self.pick(MECHANISMS),
                "the serum {molecule} is {change} in {condition}",
                "{condition} is associated with `{code}`",
                "{finding} are typical of {condition}",
                "{condition} presents with {finding} in the {organ}",
                "{drug} is avoided in {condition} because it worsens {finding}",
            ]
        )
        text = self.fill(self.pick(PREFIXES) + core + self.pick(SUFFIXES)).strip()
        for _ in range(self.r.choice((0, 0, 0, 1, 1, 2))):
            text += self.fill(
                self.pick(
                    [
                        ", with {finding} in the {organ}",
                        ", while {cell} are scarce",
                        " and the {molecule} level is {change}",
                        ", as in {condition}",
                        " after treatment with {drug}",
                    ]
                )
            )
        text = text[0].upper() + text[1:] + "."
        return text

    def question(self) -> str:
        return self.fill(
            self.pick(
                [
                    "What is the most common cause of {condition} in {population}?",
                    "Which cells are characteristic of {condition}?",
                    "What is the mechanism of action of {drug}?",
                    "Name the classic histological finding in {condition}.",
                    "What is the first-line treatment for {condition} in {population}?",
                    "How does {condition} change the serum {molecule}?",
                    "Which gene is implicated in {condition}?",
                    "What does the presence of {finding} in the {organ} suggest?",
                    "Why is {drug} contraindicated in {condition}?",
                    "Where in the {organ} does {condition} begin?",
                    "Which **{cell}** mediate the damage in {condition}?",
                    "What is the typical age of onset of *{condition}*?",
                ]
            )
        )

    def answer_lines(self) -> tuple[list[str], bool]:
        """Answer body lines (after ``A: ``) and whether it ends in a table."""
        roll = self.r.random()
        if roll < 0.05:
            a, b = self.r.sample(CONDITIONS, 2)
            lines = [f"Compare {a} and {b}:", "", f"| Feature | {a} | {b} |", "|---|---|---|"]
            for feature in self.r.sample(["Site", "Finding", "Cells", "Marker", "Serum change"], self.r.randint(2, 4)):
                lines.append(f"| {feature} | {self.cell_for(feature)} | {self.cell_for(feature)} |")
            return lines, True
        lines = [
            self.sentence()
            if self.r.random() < 0.6
            else self.decorate(
                self.fill(
                    self.pick(
                        [
                            "{drug}",
                            "{finding}",
                            "the {organ}",
                            "{cell}",
                            "`{code}`",
                            "{molecule} is {change}",
                            "{population}",
                        ]
                    )
                )
            )
            + self.pick(["", "", f" ({self.fill('{finding}')})", f", then {self.fill('{drug}')}"])
        ]
        if self.r.random() < 0.3:
            lines[0] = lines[0] + " " + self.sentence()
        if self.r.random() < 0.15:
            lines.append(self.sentence())
        return lines, False

    def cell_for(self, feature: str) -> str:
        return self.fill(
            {
                "Site": "{organ}",
                "Finding": "{finding}",
                "Cells": "{cell}",
                "Marker": "`{code}`",
                "Serum change": "{molecule} {change}",
            }[feature]
        )

    def cloze_text(self) -> tuple[str, int]:
        """A cloze paragraph (one or two lines) and its number of distinct clozes."""

        def hole(n: int, text: str) -> str:
            if self.r.random() < 0.2:
                return f"{{{{c{n}::{text}::{self.pick(['which?', 'name it', 'cell type?', 'level?', 'drug?', 'site?'])}}}}}"
            return f"{{{{c{n}::{text}}}}}"

        template = self.pick(
            [
                ("{P}{condition} is characterised by {H1} in the {organ}", 1, ["{finding}"]),
                ("{P}the drug {H1} acts by {H2}", 2, ["{drug}", "MECH"]),
                ("{P}in {condition}, serum {molecule} is typically {H1}", 1, ["{change}"]),
                ("{P}{H1} are the hallmark of {H2}", 2, ["{finding}", "{condition}"]),
                ("{P}{condition} is linked to {H1} and to {H2} in the {H3}", 3, ["`{code}`", "{finding}", "{organ}"]),
                ("{P}{H1} is the first-line treatment for {condition} in {population}", 1, ["{drug}"]),
                ("{P}the {organ} shows {H1}, made by {H2}", 2, ["{finding}", "{cell}"]),
            ]
        )
        body, count, holes = template
        filled = {}
        for i, h in enumerate(holes, start=1):
            content = self.pick(MECHANISMS) if h == "MECH" else self.fill(h)
            filled[f"H{i}"] = hole(i, self.decorate(content) if "`" not in content else content)
        text = body.replace("{P}", self.pick(PREFIXES))
        for key, value in filled.items():
            text = text.replace("{" + key + "}", value)
        text = self.fill(text.replace("{{", "\x00").replace("}}", "\x01")).replace("\x00", "{{").replace("\x01", "}}")
        text = text[0].upper() + text[1:] + self.fill(self.pick(SUFFIXES)) + "."
        if self.r.random() < 0.2:
            text += "\n" + self.sentence()
        return text, count

    def list_title(self) -> str:
        return self.fill(
            self.pick(
                [
                    "Causes of {condition}",
                    "Features of {condition}",
                    "Drugs that cause {finding}",
                    "Complications of {condition}",
                    "Histological findings in the {organ} in {condition}",
                    "Risk factors for {condition} in {population}",
                    "Side effects of {drug}",
                    "Steps in the workup of {condition}",
                    "Markers of {condition}",
                    "Causes of a {change} serum {molecule}",
                ]
            )
        )

    def list_item(self) -> str:
        return self.decorate(
            self.fill(
                self.pick(
                    [
                        "{condition}",
                        "{finding}",
                        "{drug}",
                        "{finding} in the {organ}",
                        "{cell} infiltration",
                        "{molecule} {change}",
                        "`{code}` mutation",
                        "{condition} in {population}",
                        "damage to the {organ}",
                    ]
                )
            )
        )


# -- generation -------------------------------------------------------------------


def _kinds(rng: random.Random, n_notes: int) -> list[str]:
    kinds: list[str] = []
    for kind, share in KIND_SHARES[1:]:
        kinds += [kind] * round(n_notes * share)
    kinds += ["cloze"] * (n_notes - len(kinds))
    rng.shuffle(kinds)
    return kinds


def _file_plan(rng: random.Random, n_notes: int, n_files: int) -> list[tuple[str, int]]:
    """(relative path, number of notes) for each file; counts vary around the mean and sum to ``n_notes``."""
    folders = list(FOLDERS.items())
    total_weight = sum(w for _f, w in folders)
    paths: list[str] = []
    for index, (folder, weight) in enumerate(folders):
        count = round(n_files * weight / total_weight) if index < len(folders) - 1 else n_files - len(paths)
        count = max(count, 1)
        for j in range(count):
            topic = rng.choice(CONDITIONS + ORGANS).lower().replace(" ", "-").replace("'", "")
            paths.append(f"{folder}/{j + 1:03d}-{topic}.md")
    paths = paths[:n_files]
    weights = [rng.uniform(0.4, 1.6) for _ in paths]
    scale = n_notes / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    i = 0
    while sum(counts) != n_notes:
        delta = 1 if sum(counts) < n_notes else -1
        if counts[i % len(counts)] + delta >= 1:
            counts[i % len(counts)] += delta
        i += 1
    return list(zip(paths, counts, strict=True))


class _FileWriter:
    def __init__(self, gen: _Generator, rel: str) -> None:
        self.gen = gen
        self.rel = rel
        self.lines: list[str] = []
        self.depth = rel.count("/")

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def note(self, kind: str, body: list[str], cards: int) -> None:
        self.blank()
        start = len(self.lines)
        self.lines += body
        self.gen.deck.notes.append(NoteSpan(self.rel, kind, start, len(self.lines), cards))


class _Generator:
    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.t = _Text(self.rng)
        self.deck = DeckSet(root)
        self.seen: set[str] = set()
        self.next_id = 0

    def unique(self, make: Callable[[], tuple[Any, ...]]) -> tuple[Any, ...]:
        """Call ``make`` until its text (first element) was never produced before."""
        for _ in range(1000):
            result = make()
            key = result[0] if isinstance(result[0], str) else "\n".join(result[0])
            if key not in self.seen:
                self.seen.add(key)
                return result
        raise RuntimeError("could not generate a unique note")

    def maybe_id(self, probability: float = 0.08) -> str:
        if self.rng.random() >= probability:
            return ""
        self.next_id += 1
        return f" ^cd-{self.next_id:05d}"

    # -- note kinds --

    def basic(self, w: _FileWriter) -> None:
        reversed_ = self.rng.random() < 0.25
        if reversed_:

            def make() -> tuple[str, list[str], bool]:
                term = self.t.decorate(
                    self.t.fill(self.t.pick(["{condition}", "{finding}", "{drug}", "{cell} in {condition}"]))
                )
                sentence = self.t.sentence()
                return term + "\n" + sentence, [sentence], False

            key, answer, table = self.unique(make)
            question = key.split("\n", 1)[0]
        else:

            def make() -> tuple[str, list[str], bool]:
                lines, table = self.t.answer_lines()
                return self.t.question() + "\n" + "\n".join(lines), lines, table

            key, answer, table = self.unique(make)
            question = key.split("\n", 1)[0]
        if not table:
            answer = [*answer[:-1], answer[-1] + self.maybe_id()]
        body = [f"{'R' if reversed_ else 'Q'}: {question}", f"A: {answer[0]}", *answer[1:]]
        w.note("basic", body, 2 if reversed_ else 1)

    def cloze(self, w: _FileWriter, remaining: int) -> int:
        """A cloze paragraph, or a Markdown list of 2-4 cloze items (one note each). Returns notes written."""
        if remaining >= 2 and self.rng.random() < 0.15:
            n = min(remaining, self.rng.randint(2, 4))
            w.blank()
            for _ in range(n):

                def make() -> tuple[str, int]:
                    text, count = self.t.cloze_text()
                    return text.split("\n", 1)[0], count

                text, count = self.unique(make)
                start = len(w.lines)
                w.lines.append(f"- {text}{self.maybe_id()}")
                self.deck.notes.append(NoteSpan(w.rel, "cloze", start, start + 1, count))
            w.blank()
            return n
        text, count = self.unique(self.t.cloze_text)
        w.note("cloze", (text + self.maybe_id()).split("\n"), count)
        return 1

    def list_note(self, w: _FileWriter) -> None:
        def make() -> tuple[str, list[str]]:
            title = self.t.list_title()
            items: list[str] = []
            target = self.rng.randint(3, 6)
            while len(items) < target:
                item = self.t.list_item()
                if item not in items:
                    items.append(item)
            return title + "\n" + "\n".join(items), items

        key, items = self.unique(make)
        ordered = self.rng.random() < 0.5
        lines = [f"List: {key.split(chr(10), 1)[0]}"]
        lines += [f"{i}. {item}" if ordered else f"- {item}" for i, item in enumerate(items, start=1)]
        lines[-1] += self.maybe_id()
        w.note("list", lines, len(items))

    def occlusion(self, w: _FileWriter) -> None:
        image = self.rng.choice(self.deck.images)
        prefix = "../" * w.depth

        def make() -> tuple[str, list[str]]:
            labels = self.rng.sample(IMAGES[image], self.rng.randint(2, 5))
            lines = [f"image: {prefix}img/{image}", f"mode: {self.rng.choice(['hide-all-guess-one', 'hide-one-guess-one'])}"]
            if self.rng.random() < 0.3:
                lines.append(f"header: {self.t.fill('{condition}').capitalize()}")
            for label in labels:
                shape = self.rng.choice(["rect", "rect", "ellipse", "polygon"])
                if shape == "polygon":
                    x, y = self.rng.uniform(0.05, 0.7), self.rng.uniform(0.05, 0.7)
                    pts = [
                        (x, y),
                        (x + self.rng.uniform(0.05, 0.25), y),
                        (x + self.rng.uniform(0, 0.2), y + self.rng.uniform(0.05, 0.25)),
                    ]
                    lines.append(f"polygon {' '.join(f'{px:.3f},{py:.3f}' for px, py in pts)} {label}")
                else:
                    x, y = self.rng.uniform(0, 0.75), self.rng.uniform(0, 0.75)
                    wd, ht = self.rng.uniform(0.05, 0.2), self.rng.uniform(0.05, 0.2)
                    lines.append(f"{shape} {x:.3f} {y:.3f} {wd:.3f} {ht:.3f} {label}")
            return "\n".join(lines), lines

        _key, lines = self.unique(make)
        n_labels = sum(1 for line in lines if line.startswith(("rect", "ellipse", "polygon")))
        w.note("occlusion", ["```occlusion", *lines, "```" + self.maybe_id()], n_labels)

    # -- files --

    def write_file(self, rel: str, kinds: list[str]) -> str:
        w = _FileWriter(self, rel)
        folder = rel.rsplit("/", 1)[0]
        if self.rng.random() < 0.85:
            deck = "::".join(p.replace("-", " ").title() for p in folder.split("/"))
            deck += "::" + self.t.pick(CONDITIONS + ORGANS).title()
            tags = self.rng.sample(
                [
                    "pathology",
                    "pharmacology",
                    "physiology",
                    "high-yield",
                    "step1",
                    "renal",
                    "cardio",
                    "gi",
                    "haem",
                    "micro",
                    "anatomy",
                    "revision",
                ],
                self.rng.randint(1, 3),
            )
            w.lines += ["---", f"deck: {deck}", f"tags: [{', '.join(tags)}]", "---", ""]
        w.lines.append(f"# {self.t.pick(CONDITIONS).capitalize()}")
        i = 0
        since_heading = 0
        last_kind = ""
        while i < len(kinds):
            if since_heading >= self.rng.randint(8, 20):
                w.blank()
                level = self.rng.choice(["#", "##", "##", "###"])
                w.lines.append(f"{level} {self.t.pick(TOPICS)}: {self.t.pick(CONDITIONS + ORGANS)}")
                if self.rng.random() < 0.3:  # an introductory paragraph (not a card)
                    w.lines += ["", self.t.sentence()]
                since_heading = 0
            kind = kinds[i]
            if kind == "cloze":
                # A list of cloze items directly after a List: note would continue that list.
                run = 1
                while i + run < len(kinds) and kinds[i + run] == "cloze":
                    run += 1
                n = self.cloze(w, 1 if last_kind == "list" else run)
            else:
                {"basic": self.basic, "list": self.list_note, "occlusion": self.occlusion}[kind](w)
                n = 1
            i += n
            since_heading += n
            last_kind = kind
        return "\n".join(w.lines) + "\n"

    def run(self, n_notes: int, n_files: int) -> DeckSet:
        root = self.deck.root
        root.mkdir(parents=True, exist_ok=True)
        (root / "img").mkdir(exist_ok=True)
        for name in IMAGES:
            (root / "img" / name).write_bytes(png_bytes(self.rng.randint(160, 320), self.rng.randint(120, 240), self.rng))
            self.deck.images.append(name)
        kinds = _kinds(self.rng, n_notes)
        pos = 0
        for rel, count in _file_plan(self.rng, n_notes, n_files):
            text = self.write_file(rel, kinds[pos : pos + count])
            pos += count
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.deck.files.append(rel)
        assert len(self.deck.notes) == n_notes, (len(self.deck.notes), n_notes)
        return self.deck


def generate(root: Path, n_notes: int = DEFAULT_NOTES, n_files: int = DEFAULT_FILES, seed: int = DEFAULT_SEED) -> DeckSet:
    """Write the synthetic deck set into ``root`` (the deck root) and describe it."""
    return _Generator(Path(root), seed).run(n_notes, n_files)


# -- editing ----------------------------------------------------------------------


def _editable_ranges(kind: str, line: str) -> list[tuple[int, int]]:
    """Parts of a note's line whose lowercase words may be reworded without touching syntax."""
    if kind == "occlusion":
        if line.startswith("header: "):
            return [(len("header: "), len(line))]
        m = _SHAPE_LABEL_RE.match(line)
        return [(m.end(), len(line))] if m else []
    return [(0, len(line))]


def edit_notes(
    deck: DeckSet, root: Path | None = None, fraction: float = 0.01, seed: int = 0, clustered: bool = False
) -> list[NoteSpan]:
    """Reword 1-3 words in ``fraction`` of the notes, in place.

    The notes are chosen at random across all files (the worst case: most files
    change), or with ``clustered`` from as few files as hold that many notes, as
    when an instructor revises one topic. ``root`` defaults to ``deck.root``;
    pass a copy of the deck set to edit that instead. Line numbers do not
    change. Returns the edited notes.
    """
    rng = random.Random(seed)
    root = Path(root or deck.root)
    wanted = round(len(deck.notes) * fraction)
    by_file: dict[str, list[str]] = {}
    edited: list[NoteSpan] = []
    candidates = rng.sample(deck.notes, len(deck.notes))
    if clustered:
        files = sorted({n.rel for n in deck.notes})
        order = {rel: i for i, rel in enumerate(rng.sample(files, len(files)))}
        candidates.sort(key=lambda n: order[n.rel])
    for note in candidates:
        if len(edited) == wanted:
            break
        if note.rel not in by_file:
            by_file[note.rel] = (root / note.rel).read_text(encoding="utf-8").split("\n")
        lines = by_file[note.rel]
        spots = [
            (j, m.start(), m.end())
            for j in range(note.start, note.end)
            for lo, hi in _editable_ranges(note.kind, lines[j])
            for m in _EDITABLE_WORD_RE.finditer(lines[j], lo, hi)
        ]
        if not spots:
            continue
        chosen = sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))), key=lambda s: (s[0], -s[1]))
        new_lines = {j: lines[j] for j in range(note.start, note.end)}
        for j, a, b in chosen:  # right to left within a line, so offsets stay valid
            old = new_lines[j][a:b]
            new = rng.choice([w for w in REWORD_WORDS if w != old])
            new_lines[j] = new_lines[j][:a] + new + new_lines[j][b:]
        if note.kind == "occlusion":  # labels must stay distinct within the block
            labels = [new_lines[j][m.end() :] for j in new_lines if (m := _SHAPE_LABEL_RE.match(new_lines[j]))]
            if len(set(labels)) != len(labels):
                continue
        if note.kind == "list":  # and so must list items ("acute pancreatitis" -> "chronic pancreatitis")
            items = [_ITEM_MARKER_RE.sub("", new_lines[j]) for j in range(note.start + 1, note.end)]
            items[-1] = _TRAILING_ID_RE.sub("", items[-1])
            if len(set(items)) != len(items):
                continue
        for j, text in new_lines.items():
            lines[j] = text
        edited.append(note)
    for rel, lines in by_file.items():
        (root / rel).write_text("\n".join(lines), encoding="utf-8")
    return edited


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench-decks")
    deck_set = generate(out, *(int(a) for a in sys.argv[2:4]))
    print(
        f"{len(deck_set.notes)} notes ({deck_set.kind_counts()}), {deck_set.expected_cards} cards, "
        f"{len(deck_set.files)} files in {out}"
    )
