"""Chinese retrieval for the knowledge base (知识库检索): what the robot and operators search.

No model is downloaded or loaded: everything here is jieba plus two data files shipped with
the code (see docs/decisions/0008-robot-retrieval.md).

* **Segmentation**: jieba's search mode (the process-wide dictionary, initialised by the
  catalogue's search module so both apps segment alike) plus a scan for the government terms
  of ``data/terms.txt`` (longest words first, overlapping allowed). The scan plays the role of a
  jieba user dictionary without changing the shared jieba state other apps rely on.
* **Synonyms** (``data/synonyms.txt``): everyday words mapped to official ones — a rule fires
  when its trigger occurs in the question (``a&b``: both occur), and adds the official terms to
  the query (身份证丢了 → 居民身份证 补领 挂失).
* **Ranking**: BM25F over the question (weight 3), the other phrasings and keywords (2.5), the
  related catalogue items and department (1) and the answer (0.6), plus a character-bigram
  BM25 over question and phrasings for words jieba does not know. Term contributions are
  precomputed per document, so a query only adds up its terms' postings.
* **Confidence**: the share of the question's informative words (IDF-weighted; a word the
  knowledge base has never seen weighs most) that the best article covers, blended with the
  same share of its character bigrams. Below :data:`CONFIDENCE_THRESHOLD` the robot says it
  does not know.

:class:`KnowledgeIndex` is pure Python over plain :class:`Doc` values; building it from the
database and keeping one per process lives in :mod:`onewindow.hotline.selectors`.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path

import jieba

DATA = Path(__file__).resolve().parent / "data"

CONFIDENCE_THRESHOLD = 0.25
MAX_QUESTION = 200

FIELD_WEIGHTS = {"question": 3.0, "phrasings": 2.5, "extra": 1.0, "answer": 0.6}
FIELD_B = {"question": 0.5, "phrasings": 0.6, "extra": 0.5, "answer": 0.75}
K1 = 1.2
BIGRAM_WEIGHT = 0.35
EXPANSION_WEIGHT = 0.8

# Question words and particles: they say nothing about the topic.
FILLERS: frozenset[str] = frozenset(
    """的 了 和 与 及 或 等 在 是 为 对 由 向 被 把 将 从 于 以 并
    其 之 也 都 就 而 吗 呢 吧 啊 呀 哦 嘛 么 哪 个 这 那 这个
    那个 这些 那些 我 你 您 他 她 它 我们 你们 他们 咱 咱们 自己 本人
    家里 家人 怎么 怎样 怎么样 如何 怎么办 咋 咋办 咋弄 啥 什么 哪里
    哪儿 在哪 在哪里 哪些 哪个 哪家 多少 几 几天 请问 问 问下 问一下
    咨询 一下 想 想问 想要 我想 我要 要 需要 需不需要 得 能 能不能 可以
    可不可以 是不是 有没有 会 应该 必须 还 还是 又 再 才 已经 刚 刚刚
    现在 马上 一个 一般 一直 有 没有 没 不 去 来 到 给 跟 让 用 办
    弄 搞 做 拿 找 帮 帮忙 麻烦 谢谢 你好 您好 好 行 呢 吧 么办 地方
    部门 手续 流程 问题 情况 东西 事 事情 时候 之后 以后 以前 然后 如果
    因为 所以 但是 可是 不过""".split()
)
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_CJK_OR_ALNUM = re.compile(r"[\u4e00-\u9fff0-9a-z]+")
# Bigrams made of question words only: "怎么", "可以" … carry no topic.
_FILLER_CHARS = frozenset(
    "的了吗呢吧啊呀哦嘛么我你您他她它们怎样如何么哪里儿些个"
    "什啥要想能可以会去办弄搞做问请下一有没不是在"
)


# --- data files ------------------------------------------------------------------------------


@cache
def _terms() -> tuple[frozenset[str], int]:
    words: set[str] = set()
    for line in (DATA / "terms.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        for word in line.split():
            if len(word) >= 2:
                words.add(normalise(word))
    synonyms = _synonym_rules()
    for rule in synonyms:
        for term in rule.expansions:
            if len(term) >= 2:
                words.add(term)
    return frozenset(words), max((len(w) for w in words), default=2)


@dataclass(frozen=True)
class SynonymRule:
    expansions: tuple[str, ...]
    triggers: tuple[tuple[str, ...], ...]  # any trigger; a trigger is all of its parts


@cache
def _synonym_rules() -> tuple[SynonymRule, ...]:
    rules: list[SynonymRule] = []
    for lineno, raw in enumerate(
        (DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines(), start=1
    ):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "<=" not in line:
            raise ValueError(f"synonyms.txt line {lineno}: expected 'official <= everyday'")
        left, right = line.split("<=", 1)
        expansions = tuple(normalise(w) for w in left.split() if w)
        triggers = tuple(
            tuple(normalise(p) for p in t.split("&") if p) for t in right.split() if t
        )
        if expansions and triggers:
            rules.append(SynonymRule(expansions, triggers))
    return tuple(rules)


def tokenizer_version() -> int:
    """Changes when the term list or synonyms change: stored tokens are then recomputed."""
    text = (DATA / "terms.txt").read_bytes() + b"|" + (DATA / "synonyms.txt").read_bytes()
    return (zlib.crc32(text + b"|v1") % 30000) + 1


# --- text ------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(text.split())


def question_key(text: str) -> str:
    """The key under which an unanswered question is counted: no punctuation or spaces."""
    return _PUNCT.sub("", normalise(text))[:MAX_QUESTION]


def _ensure_jieba() -> None:
    from onewindow.catalog import search as catalog_search

    catalog_search._ensure_jieba()  # one shared jieba set-up for the whole process


def _scan_terms(text: str) -> list[str]:
    words, longest = _terms()
    found: list[str] = []
    n = len(text)
    for i in range(n):
        for length in range(min(longest, n - i), 1, -1):
            piece = text[i : i + length]
            if piece in words:
                found.append(piece)
    return found


def tokenize(text: str) -> list[str]:
    """Search-mode words of ``text`` plus the government terms it contains (fillers dropped)."""
    text = normalise(text)
    if not text:
        return []
    _ensure_jieba()
    out = [t for t in (tok.strip() for tok in jieba.cut_for_search(text)) if t]
    out += _scan_terms(text)
    return [t for t in out if t not in FILLERS and not _PUNCT.fullmatch(t)]


def bigrams(text: str) -> list[str]:
    """Character bigrams of the CJK / alphanumeric runs of ``text``."""
    grams: list[str] = []
    for run in _CJK_OR_ALNUM.findall(normalise(text)):
        if len(run) == 1:
            continue
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram[0] in _FILLER_CHARS and gram[1] in _FILLER_CHARS:
                continue
            grams.append(gram)
    return grams


@dataclass(frozen=True)
class Analysed:
    """A question as the index sees it."""

    text: str
    terms: dict[str, float]  # term -> query weight
    alternatives: dict[str, frozenset[str]]  # original term -> terms that also count for it
    grams: tuple[str, ...]
    expansions: tuple[str, ...]


def analyse(question: str) -> Analysed:
    text = normalise(question)[:MAX_QUESTION]
    tokens = tokenize(text)
    terms: dict[str, float] = {}
    for t in tokens:
        terms[t] = 1.0
    alternatives: dict[str, set[str]] = {t: {t} for t in terms}
    expansions: list[str] = []
    for rule in _synonym_rules():
        fired = [parts for parts in rule.triggers if all(p in text for p in parts)]
        if not fired:
            continue
        trigger_text = "".join(p for parts in fired for p in parts)
        for term in rule.expansions:
            if term not in terms:
                terms[term] = EXPANSION_WEIGHT
                expansions.append(term)
        for t in list(alternatives):
            if t in trigger_text:
                alternatives[t].update(rule.expansions)
    return Analysed(
        text=text, terms=terms,
        alternatives={t: frozenset(v) for t, v in alternatives.items()},
        grams=tuple(dict.fromkeys(bigrams(text))), expansions=tuple(expansions),
    )


# --- index -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """One searchable article: ids and display data plus its segmented fields."""

    id: int
    key: str
    question: str
    fields: dict[str, list[str]]  # field -> tokens (question, phrasings, extra, answer)
    gram_text: str  # question + phrasings + keywords, for the bigram signal
    region_prefix: str = ""
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to


@dataclass(frozen=True)
class Hit:
    doc: Doc
    score: float
    confidence: float


_EMPTY: tuple[array[int], array[float]] = (array("i"), array("f"))


def _compact(postings: dict[str, dict[int, float]]) -> dict[str, tuple[array[int], array[float]]]:
    return {t: (array("i", p.keys()), array("f", p.values())) for t, p in postings.items()}


@dataclass
class KnowledgeIndex:
    docs: list[Doc] = field(default_factory=list)
    # term -> (document numbers, precomputed BM25 contributions), compact arrays
    postings: dict[str, tuple[array[int], array[float]]] = field(default_factory=dict)
    gram_postings: dict[str, tuple[array[int], array[float]]] = field(default_factory=dict)
    doc_terms: list[frozenset[str]] = field(default_factory=list)
    doc_grams: list[frozenset[str]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    gram_idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0

    @classmethod
    def build(cls, docs: Iterable[Doc]) -> KnowledgeIndex:
        index = cls(docs=list(docs))
        n = len(index.docs)
        df: dict[str, int] = defaultdict(int)
        gdf: dict[str, int] = defaultdict(int)
        lengths: dict[str, list[int]] = {f: [] for f in FIELD_WEIGHTS}
        gram_lists: list[list[str]] = []
        for doc in index.docs:
            terms: set[str] = set()
            for f in FIELD_WEIGHTS:
                toks = doc.fields.get(f, [])
                lengths[f].append(len(toks))
                terms.update(toks)
            index.doc_terms.append(frozenset(terms))
            for t in terms:
                df[t] += 1
            grams = bigrams(doc.gram_text)
            gram_lists.append(grams)
            gset = frozenset(grams)
            index.doc_grams.append(gset)
            for g in gset:
                gdf[g] += 1
        index.max_idf = math.log(1 + (n + 0.5) / 0.5)
        index.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        index.gram_idf = {g: math.log(1 + (n - c + 0.5) / (c + 0.5)) for g, c in gdf.items()}
        avg = {f: (sum(v) / len(v) if v else 0.0) or 1.0 for f, v in lengths.items()}
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, doc in enumerate(index.docs):
            wtf: dict[str, float] = defaultdict(float)
            for f, weight in FIELD_WEIGHTS.items():
                toks = doc.fields.get(f, [])
                if not toks:
                    continue
                norm = 1 - FIELD_B[f] + FIELD_B[f] * len(toks) / avg[f]
                counts: dict[str, int] = defaultdict(int)
                for t in toks:
                    counts[t] += 1
                for t, c in counts.items():
                    wtf[t] += weight * c / norm
            for t, w in wtf.items():
                postings[t][i] = index.idf[t] * w * (K1 + 1) / (K1 + w)
        index.postings = _compact(postings)
        glens = [len(g) for g in gram_lists]
        gavg = (sum(glens) / len(glens) if glens else 0.0) or 1.0
        gram_postings: dict[str, dict[int, float]] = defaultdict(dict)
        for i, grams in enumerate(gram_lists):
            norm = 0.25 + 0.75 * len(grams) / gavg
            counts = defaultdict(int)
            for g in grams:
                counts[g] += 1
            for g, c in counts.items():
                w = c / norm
                gram_postings[g][i] = index.gram_idf[g] * w * (K1 + 1) / (K1 + w)
        index.gram_postings = _compact(gram_postings)
        # the tokens live on in the postings: keep only what a hit shows
        index.docs = [replace(d, fields={}, gram_text="") for d in index.docs]
        return index

    def __len__(self) -> int:
        return len(self.docs)

    def _term_idf(self, term: str) -> float:
        return self.idf.get(term, self.max_idf)

    def confidence(self, q: Analysed, i: int) -> float:
        """IDF-weighted share of the question's words and bigrams that document ``i`` covers."""
        terms = self.doc_terms[i]
        total = covered = 0.0
        for t, alts in q.alternatives.items():
            w = self._term_idf(t)
            total += w
            if alts & terms:
                covered += w
        word_cov = covered / total if total else 0.0
        grams = self.doc_grams[i]
        gtotal = gcovered = 0.0
        for g in q.grams:
            w = self.gram_idf.get(g, self.max_idf)
            gtotal += w
            if g in grams:
                gcovered += w
        gram_cov = gcovered / gtotal if gtotal else 0.0
        if not total:
            return gram_cov * 0.8
        return 0.6 * word_cov + 0.4 * gram_cov

    def search(
        self,
        question: str | Analysed,
        *,
        limit: int = 3,
        on: date | None = None,
        region_prefixes: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The best ``limit`` documents, valid on ``on`` and (if given) of those regions."""
        q = question if isinstance(question, Analysed) else analyse(question)
        scores: dict[int, float] = defaultdict(float)
        for term, weight in q.terms.items():
            ids, values = self.postings.get(term, _EMPTY)
            for i, s in zip(ids, values, strict=True):
                scores[i] += weight * s
        for g in q.grams:
            ids, values = self.gram_postings.get(g, _EMPTY)
            for i, s in zip(ids, values, strict=True):
                scores[i] += BIGRAM_WEIGHT * s
        if not scores:
            return []
        allowed = set(region_prefixes) if region_prefixes is not None else None
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        hits: list[Hit] = []
        # Re-rank the head by score x coverage: a long answer that repeats one word loses to
        # an article that covers the whole question.
        head: list[tuple[float, int, float, float]] = []
        for i, s in ranked:
            doc = self.docs[i]
            if on is not None and not doc.valid_on(on):
                continue
            if allowed is not None and doc.region_prefix not in allowed:
                continue
            conf = self.confidence(q, i)
            head.append((s * (0.5 + conf), i, s, conf))
            if len(head) >= max(limit * 10, 30):
                break
        head.sort(key=lambda r: (-r[0], r[1]))
        for _combined, i, s, conf in head[:limit]:
            hits.append(Hit(doc=self.docs[i], score=s, confidence=conf))
        return hits


def doc_fields(
    *, question: str, phrasings: Sequence[str], keywords: str, answer: str, extra: str
) -> dict[str, list[str]]:
    """Segment an article's fields (what the services store in the ``search_*`` columns)."""
    return {
        "question": tokenize(question),
        "phrasings": tokenize("\n".join(phrasings) + "\n" + keywords),
        "extra": tokenize(extra),
        "answer": tokenize(answer),
    }
