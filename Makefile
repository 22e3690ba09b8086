# The two commands in the README: `make serve` and `make test`. Both build .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
# Fonts the synthetic-licence generator renders with (tests and benchmarks only; the service needs none): its
# development faces, then the held-out ones (synthetic/fonts.py) that nothing was tuned on.
FONT_PACKAGES := fonts-noto-cjk fonts-arphic-gbsn00lp fonts-arphic-uming fonts-liberation2 fonts-dejavu-core fonts-wqy-zenhei \
	fonts-arphic-ukai fonts-arphic-gkai00mp fonts-wqy-microhei fonts-hack fonts-jetbrains-mono fonts-inconsolata
FONT_CHECK := /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc /usr/share/fonts/truetype/arphic/ukai.ttc \
	/usr/share/fonts/truetype/hack/Hack-Regular.ttf /usr/share/fonts/truetype/inconsolata/Inconsolata.otf
# The browser tests/test_playground_browser.py drives: Debian's, since nothing else may be downloaded.
BROWSER_PACKAGES := chromium chromium-driver

.PHONY: install serve test fonts browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/dlocr serve --host $(HOST) --port $(PORT)

fonts:
	@if ls $(FONT_CHECK) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null; \
	else \
		echo "The test data generator needs Debian fonts: sudo apt-get install $(FONT_PACKAGES)" >&2; exit 1; \
	fi

# Without root the browser test is skipped (and fails under CI=true) rather than the whole suite refused.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	else \
		echo "The playground test needs a browser: sudo apt-get install $(BROWSER_PACKAGES)" >&2; \
	fi

test: $(STAMP) fonts browser
	$(BIN)/python -m pytest -q

bench: $(STAMP) fonts
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/latency.py

clean:
	rm -rf $(VENV) .pytest_cache
