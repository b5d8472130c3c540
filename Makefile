# The README's commands. Everything installs itself: uv (pinned) from PyPI, the Python
# packages from uv.lock, the Kafka broker jars from Maven Central (on first use).

UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export UV_LINK_MODE := copy
# Trust the machine's certificate store (machines behind a TLS-inspecting proxy add their CA
# there), not only the certificates bundled with uv.
export UV_SYSTEM_CERTS := 1

# The AsyncAPI project's parser (npm, pinned by its package-lock.json) validates the event
# streams' AsyncAPI document in the tests.
ASYNCAPI_VALIDATOR := tests/contract/asyncapi
# The web console's front-end packages (Apache ECharts), served by the gateway.
CONSOLE_ASSETS := gateway/console
# axe-core, with which the browser tests check the console's accessibility.
AXE := tests/browser/axe
# The Helm chart's checks (`make lint`): helm and kubeconform, built from the Go module proxy
# (pinned here) into .local/tools the first time (a few minutes, which `make test` is spared).
HELM_VERSION := v4.3.2
KUBECONFORM_VERSION := v0.8.0
TOOLS := $(CURDIR)/.local/tools
export SINERGI_HELM := $(TOOLS)/helm-$(HELM_VERSION)/helm
export SINERGI_KUBECONFORM := $(TOOLS)/kubeconform-$(KUBECONFORM_VERSION)/kubeconform
# Prometheus' promtool checks the alert rules in `make lint` (a long first build: 10-15 minutes
# on two cores, so `make test` checks the rules' structure with a parser instead).
PROMTOOL_VERSION := v0.316.0
PROMTOOL := $(TOOLS)/promtool-$(PROMTOOL_VERSION)/promtool
CHART := deploy/helm/sinergi

.PHONY: run test lint bench setup browser chart-tools lint-tools clean-state

setup:
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || python3 -m pip install --quiet --user "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --all-packages --quiet
	@test $(ASYNCAPI_VALIDATOR)/node_modules/.package-lock.json -nt $(ASYNCAPI_VALIDATOR)/package-lock.json \
		|| npm ci --prefix $(ASYNCAPI_VALIDATOR) --no-audit --no-fund --silent
	@test $(CONSOLE_ASSETS)/node_modules/.package-lock.json -nt $(CONSOLE_ASSETS)/package-lock.json \
		|| npm ci --prefix $(CONSOLE_ASSETS) --no-audit --no-fund --silent
	@test $(AXE)/node_modules/.package-lock.json -nt $(AXE)/package-lock.json \
		|| npm ci --prefix $(AXE) --no-audit --no-fund --silent

# Debian's Chromium for the web console's browser tests (Playwright drives it; no browser
# download). Installed when missing, as root (CI) or through sudo.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

chart-tools:
	@test -x $(SINERGI_HELM) || GOBIN=$(dir $(SINERGI_HELM)) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)
	@test -x $(SINERGI_KUBECONFORM) || GOBIN=$(dir $(SINERGI_KUBECONFORM)) \
		go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)

lint-tools: chart-tools
	@test -x $(PROMTOOL) || GOBIN=$(dir $(PROMTOOL)) \
		go install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)

run: setup
	$(UV) run --frozen python -m sinergi_local.run

test: setup browser
	$(UV) run --frozen pytest

lint: setup lint-tools
	$(PROMTOOL) check rules deploy/observability/alerts.yml
	$(SINERGI_HELM) lint --strict $(CHART) -f $(CHART)/values-pilot.yaml
	$(SINERGI_HELM) lint --strict $(CHART) -f $(CHART)/values-national.yaml
	$(UV) run --frozen python -m sinergi_local.helm platform --check
	$(UV) run --frozen pytest -q -p no:cacheprovider deploy/helm/tests
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy -p shared -p sinergi_local -p gateway -p job_market -p training \
		-p inspection -p social_security -p industrial_relations -p aggregation
	$(UV) run --frozen lint-imports

bench: setup
	$(UV) run --frozen python bench/indicator_latency.py
	$(UV) run --frozen python bench/indicator_scale.py --records 10000,1000000 --latency
	$(UV) run --frozen python bench/write_path.py
	$(UV) run --frozen python bench/write_throughput.py
	$(UV) run --frozen python bench/write_cpu.py
	$(UV) run --frozen python bench/bulk_ingest.py
	$(UV) run --frozen python bench/stream_fanout.py

clean-state:
	rm -rf .local/postgres .local/kafka .local/demo-clients.json .local/demo-users.json .local/demo-loaded .local/secrets
