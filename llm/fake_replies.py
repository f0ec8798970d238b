"""Bodies the fake OpenAI server answers with: completions, refusals, errors, keyword rules."""

import json
import time
import unicodedata
import uuid

# Accent-free, lower-case keywords → label. The first rule that matches wins.
KEYWORD_RULES = [
    ("systemtec", ("gestao", "erp", "systemtec")),
    ("financeiro", ("boleto", "fatura", "segunda via", "pagamento", "reembolso", "cartao")),
    ("comercial", ("preco", "orcamento", "comprar", "contratar", "demonstracao")),
    ("suporte", ("studio", "automacao", "vinheta", "site")),
]

ERRORS = {  # status → (type, code), as the real API words them
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


def _plain(text: str) -> str:
    """Lower case without accents, so "Gestão" matches "gestao"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def keyword_answer(text: str, allowed: list[str] | None) -> tuple[str, str]:
    """Deterministic (label, reason) from keywords; ``unsure`` when none matches or not allowed."""
    plain = _plain(text)
    for label, words in KEYWORD_RULES:
        word = next((w for w in words if w in plain), None)
        if word and (allowed is None or label in allowed):
            return label, f"A mensagem menciona \"{word}\"."
    return "unsure", "A mensagem não diz o suficiente para escolher uma fila."


def allowed_labels(body: dict) -> list[str] | None:
    """The label enum from the request's response_format, if present."""
    try:
        return body["response_format"]["json_schema"]["schema"]["properties"]["label"]["enum"]
    except (KeyError, TypeError):
        return None


def user_text(body: dict) -> str:
    """The content of the last user message ('' if none)."""
    messages = body.get("messages") or []
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    content = users[-1].get("content") if users else ""
    return content if isinstance(content, str) else ""


def _tokens(text: str) -> int:
    """A plausible token count: about four characters per token."""
    return max(1, len(text) // 4)


def completion(body: dict, *, content: str | None, refusal: str | None = None) -> dict:
    """A chat.completion body shaped like the real API's."""
    prompt = sum(_tokens(str(m.get("content", ""))) for m in body.get("messages") or []
                 if isinstance(m, dict))
    produced = _tokens(content or refusal or "")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or "gpt-4o-mini",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": produced,
                  "total_tokens": prompt + produced},
    }


def answer_content(label: str, reason: str) -> str:
    """The JSON string a well-behaved model writes in ``message.content``."""
    return json.dumps({"label": label, "reason": reason}, ensure_ascii=False)


def error_body(status: int, message: str) -> dict:
    """An error body like the real API's ``{"error": {message, type, param, code}}``."""
    kind, code = ERRORS.get(status, ("server_error" if status >= 500 else "invalid_request_error",
                                     None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
