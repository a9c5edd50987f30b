import { type FormEvent, type ReactNode, useEffect, useState } from "react";
import { request } from "./api";
import { messageOf, Problem, when } from "./dashboard";
import { t } from "./strings";
import type { ApiKey, ApiKeyCreated, Me, ModelEndpoint, ProxyOut, Usage } from "./types";

export function Settings() {
  return (
    <section className="dash settings">
      <h1>{t.settings.title}</h1>
      <UsagePanel />
      <ApiKeys />
      <Proxies />
      <ModelEndpoints />
    </section>
  );
}

/** A list of `T` from the API, loaded once and again after each change. */
function useList<T>(path: string) {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loads, setLoads] = useState(0);
  useEffect(() => {
    let live = true;
    request<T[]>("GET", path).then(
      (found) => {
        if (!live) return;
        setItems(found);
        setError(null);
      },
      (exc) => live && setError(messageOf(exc)),
    );
    return () => {
      live = false;
    };
  }, [path, loads]);
  return { items, error, reload: () => setLoads((n) => n + 1) };
}

/** A form's sending state: `run` shows the failure beside the submit button. */
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      return true;
    } catch (exc) {
      setProblem(messageOf(exc));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, run };
}

/** A form's text values, starting at `empty`; `field(key)` gives an input its value and
 * onChange. */
function useFields<K extends string>(empty: Record<K, string>) {
  const [form, setForm] = useState(empty);
  const field = (key: K) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [key]: e.target.value }),
  });
  return { form, field, reset: () => setForm(empty) };
}

function Panel(props: { id: string; title: string; hint?: string; children: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.hint && <p className="hint">{props.hint}</p>}
      {props.children}
    </section>
  );
}

/** A row's button that sends one request (a delete or revoke by default, asking first when
 * `ask` is given) and shows its failure beside itself. */
function RowAction(props: {
  label: string;
  text: string;
  busyText?: string;
  ask?: string;
  method?: "DELETE" | "PUT";
  body?: unknown;
  path: string;
  done: () => void;
}) {
  const { busy, problem, run } = useSubmit();
  const id = `problem-${props.path.replace(/[^a-z0-9]/gi, "-")}`;
  const click = () => {
    if (props.ask && !confirm(props.ask)) return;
    void run(async () => {
      await request<unknown>(props.method ?? "DELETE", props.path, props.body);
      props.done();
    });
  };
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={click}
        aria-label={props.label}
        aria-describedby={id}
      >
        {busy ? (props.busyText ?? t.dashboard.deleting) : props.text}
      </button>
      <Problem id={id} text={problem} />
    </>
  );
}

/** A labelled control with a hint under it that is not part of its name. */
function Field(props: {
  id: string;
  label: string;
  hint: string;
  children: (attrs: { id: string; "aria-describedby": string }) => ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children({ id: props.id, "aria-describedby": `${props.id}-hint` })}
      <span id={`${props.id}-hint`} className="hint">
        {props.hint}
      </span>
    </div>
  );
}

const number = (value: number) => value.toLocaleString();

function UsagePanel() {
  const [usage, setUsage] = useState<{ used: Usage; me: Me } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all([request<Usage>("GET", "/users/me/usage"), request<Me>("GET", "/users/me")]).then(
      ([used, me]) => live && setUsage({ used, me }),
      (exc) => live && setError(messageOf(exc)),
    );
    return () => {
      live = false;
    };
  }, []);
  const rows: [keyof typeof t.settings.meters & string, number, number | null | undefined][] =
    usage === null
      ? []
      : [
          ["executions", usage.used.executions, usage.used.limits.executions_per_month],
          ["rows", usage.used.rows, usage.used.limits.rows_per_month],
          ["pages", usage.used.pages, null],
          ["llm_tokens", usage.used.llm_tokens, usage.used.limits.llm_tokens_per_month],
        ];
  const concurrent = usage?.used.limits.concurrent_executions;
  return (
    <Panel
      id="settings-usage"
      title={usage ? t.settings.usageOf(usage.used.month) : t.settings.usage}
    >
      <Problem text={error} />
      {usage === null ? (
        !error && <p className="loading">{t.loading}</p>
      ) : (
        <>
          <p className="plan">{t.settings.plan(usage.me.plan)}</p>
          <table className="grid usage" aria-label={t.settings.usage}>
            <thead>
              <tr>
                <th scope="col">{t.settings.name}</th>
                <th scope="col">{t.settings.used}</th>
                <th scope="col" className="wide">
                  <span className="visually-hidden">{t.settings.used}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(([key, used, limit]) => (
                <tr key={key} data-usage={key}>
                  <th scope="row">{t.settings.meters[key]}</th>
                  <td className="amount">
                    {limit == null
                      ? number(used)
                      : t.settings.usedOf(number(used), number(limit))}
                  </td>
                  <td className="wide">
                    {limit != null && (
                      <meter
                        min={0}
                        max={limit}
                        value={Math.min(used, limit)}
                        high={limit * 0.9}
                        aria-label={t.settings.meters[key]}
                      />
                    )}
                  </td>
                </tr>
              ))}
              <tr data-usage="concurrent">
                <th scope="row">{t.settings.concurrent}</th>
                <td className="amount">
                  {concurrent == null ? t.settings.unlimited : number(concurrent)}
                </td>
                <td className="wide" />
              </tr>
            </tbody>
          </table>
        </>
      )}
    </Panel>
  );
}

function ApiKeys() {
  const keys = useList<ApiKey>("/api-keys");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const { busy, problem, run } = useSubmit();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      setCreated(await request<ApiKeyCreated>("POST", "/api-keys", { name }));
      setCopied(null);
      setName("");
      keys.reload();
    });
  };
  const copy = async (key: string) => {
    try {
      await navigator.clipboard.writeText(key);
      setCopied(t.settings.copied);
    } catch {
      setCopied(t.settings.copyFailed);
    }
  };

  return (
    <Panel id="settings-keys" title={t.settings.keys} hint={t.settings.keysHint}>
      {created && (
        <div className="secret" role="region" aria-labelledby="new-key-title">
          <h3 id="new-key-title">{t.settings.newKey}</h3>
          <p className="hint">{t.settings.newKeyHint}</p>
          <div className="secret-row">
            <input
              readOnly
              value={created.key}
              className="mono"
              aria-labelledby="new-key-title"
              onFocus={(e) => e.target.select()}
            />
            <button type="button" onClick={() => void copy(created.key)}>
              {t.settings.copy}
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              {t.settings.done}
            </button>
          </div>
          {copied && <p role="status">{copied}</p>}
        </div>
      )}
      <form className="inline-form" onSubmit={submit} aria-label={t.settings.createKey}>
        <label>
          {t.settings.keyName}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <button type="submit" disabled={busy} aria-describedby="key-problem">
          {busy ? t.settings.creatingKey : t.settings.createKey}
        </button>
        <Problem id="key-problem" text={problem} />
      </form>
      <Problem text={keys.error} />
      {keys.items !== null &&
        (keys.items.length === 0 ? (
          <p>{t.settings.noKeys}</p>
        ) : (
          <div className="scroll">
            <table className="grid" aria-label={t.settings.keysLabel}>
              <thead>
                <tr>
                  <th scope="col">{t.settings.name}</th>
                  <th scope="col">{t.settings.prefix}</th>
                  <th scope="col" className="wide">
                    {t.settings.created}
                  </th>
                  <th scope="col">{t.settings.lastUsed}</th>
                  <th scope="col">{t.settings.state}</th>
                  <th scope="col">{t.executions.actions}</th>
                </tr>
              </thead>
              <tbody>
                {keys.items.map((key) => (
                  <tr key={key.id} data-key={key.id}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td className="wide">{when(key.created_at)}</td>
                    <td>{key.last_used_at ? when(key.last_used_at) : t.dashboard.never}</td>
                    <td className="state">
                      {key.revoked_at
                        ? t.settings.revokedAt(when(key.revoked_at))
                        : t.settings.active}
                    </td>
                    <td className="row-actions">
                      <div className="action-row">
                        {!key.revoked_at && (
                          <RowAction
                            label={t.settings.revokeOf(key.name)}
                            text={t.settings.revoke}
                            busyText={t.settings.revoking}
                            ask={t.settings.confirmRevoke(key.name)}
                            path={`/api-keys/${key.id}`}
                            done={keys.reload}
                          />
                        )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </Panel>
  );
}

/** The proxy URL with the user name and password put in (encoded as a URL needs them). */
function withCredentials(url: string, username: string, password: string): string {
  if (!username && !password) return url;
  try {
    const parsed = new URL(url);
    parsed.username = username;
    parsed.password = password;
    return parsed.href.replace(/\/$/, url.endsWith("/") ? "/" : "");
  } catch {
    return url; // not a URL: the API says what is wrong with it (never showing a password)
  }
}

function Proxies() {
  const proxies = useList<ProxyOut>("/proxies");
  const empty = { name: "", url: "", username: "", password: "", tags: "", tier: "0" };
  const { form, field, reset } = useFields(empty);
  const { busy, problem, run } = useSubmit();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await request<ProxyOut>("POST", "/proxies", {
        name: form.name,
        url: withCredentials(form.url.trim(), form.username, form.password),
        tags: form.tags
          .split(",")
          .map((tag) => tag.trim())
          .filter(Boolean),
        tier: Number(form.tier),
      });
      reset();
      proxies.reload();
    });
  };

  return (
    <Panel id="settings-proxies" title={t.settings.proxies} hint={t.settings.proxiesHint}>
      <Problem text={proxies.error} />
      {proxies.items !== null &&
        (proxies.items.length === 0 ? (
          <p>{t.settings.noProxies}</p>
        ) : (
          <div className="scroll">
            <table className="grid" aria-label={t.settings.proxiesLabel}>
              <thead>
                <tr>
                  <th scope="col">{t.settings.name}</th>
                  <th scope="col">{t.settings.proxyUrl}</th>
                  <th scope="col" className="wide">
                    {t.settings.tags}
                  </th>
                  <th scope="col" className="number">
                    {t.settings.tier}
                  </th>
                  <th scope="col">{t.settings.state}</th>
                  <th scope="col">{t.executions.actions}</th>
                </tr>
              </thead>
              <tbody>
                {proxies.items.map((proxy) => {
                  const on = proxy.disabled_reason === null; // in use: the button disables it
                  return (
                    <tr key={proxy.id} data-proxy={proxy.id}>
                      <td>{proxy.name}</td>
                      <td className="mono url">{proxy.url}</td>
                      <td className="wide">{proxy.tags.join(", ")}</td>
                      <td className="number">{proxy.tier}</td>
                      <td>{proxy.disabled_reason ?? t.settings.inUse}</td>
                      <td className="row-actions">
                        <div className="action-row">
                          <RowAction
                            label={(on ? t.settings.disableOf : t.settings.enableOf)(proxy.name)}
                            text={on ? t.settings.disable : t.settings.enable}
                            busyText={t.settings.saving}
                            method="PUT"
                            body={{ disabled: on }}
                            path={`/proxies/${proxy.id}/state`}
                            done={proxies.reload}
                          />
                          <RowAction
                            label={t.settings.deleteOf(proxy.name)}
                            text={t.dashboard.delete}
                            ask={t.settings.confirmDelete(proxy.name)}
                            path={`/proxies/${proxy.id}`}
                            done={proxies.reload}
                          />
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
      <form className="panel-form" onSubmit={submit} aria-label={t.settings.addProxy}>
        <div className="fields">
          <label>
            {t.settings.name}
            <input {...field("name")} required maxLength={100} />
          </label>
          <Field id="proxy-url" label={t.settings.proxyUrl} hint={t.settings.proxyUrlHint}>
            {(attrs) => (
              <input
                {...attrs}
                {...field("url")}
                required
                maxLength={2000}
                inputMode="url"
                spellCheck={false}
                autoComplete="off"
                placeholder="http://proxy.example:8080"
              />
            )}
          </Field>
          <label>
            {t.settings.username}
            <input {...field("username")} autoComplete="off" spellCheck={false} />
          </label>
          <label>
            {t.settings.password}
            <input {...field("password")} type="password" autoComplete="new-password" />
          </label>
          <Field id="proxy-tags" label={t.settings.tags} hint={t.settings.tagsHint}>
            {(attrs) => <input {...attrs} {...field("tags")} />}
          </Field>
          <Field id="proxy-tier" label={t.settings.tier} hint={t.settings.tierHint}>
            {(attrs) => (
              <input {...attrs} {...field("tier")} type="number" min={0} max={9} required />
            )}
          </Field>
        </div>
        <div className="submit">
          <button type="submit" disabled={busy} aria-describedby="proxy-problem">
            {busy ? t.settings.adding : t.settings.addProxy}
          </button>
          <Problem id="proxy-problem" text={problem} />
        </div>
      </form>
    </Panel>
  );
}

function ModelEndpoints() {
  const endpoints = useList<ModelEndpoint>("/model-endpoints");
  const empty = {
    name: "",
    kind: "openai",
    base_url: "",
    model: "",
    api_key: "",
    context_tokens: "8192",
    mode: "",
  };
  const { form, field, reset } = useFields(empty);
  const { busy, problem, run } = useSubmit();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await request<ModelEndpoint>("POST", "/model-endpoints", {
        name: form.name,
        kind: form.kind,
        base_url: form.base_url.trim(),
        model: form.model,
        api_key: form.api_key || null,
        context_tokens: Number(form.context_tokens),
        mode: form.mode || null,
      });
      reset();
      endpoints.reload();
    });
  };

  return (
    <Panel id="settings-models" title={t.settings.models} hint={t.settings.modelsHint}>
      <Problem text={endpoints.error} />
      {endpoints.items !== null &&
        (endpoints.items.length === 0 ? (
          <p>{t.settings.noModels}</p>
        ) : (
          <div className="scroll">
            <table className="grid" aria-label={t.settings.modelsLabel}>
              <thead>
                <tr>
                  <th scope="col">{t.settings.name}</th>
                  <th scope="col" className="wide">
                    {t.settings.kind}
                  </th>
                  <th scope="col">{t.settings.baseUrl}</th>
                  <th scope="col">{t.settings.model}</th>
                  <th scope="col">{t.settings.apiKey}</th>
                  <th scope="col" className="wide number">
                    {t.settings.context}
                  </th>
                  <th scope="col">{t.executions.actions}</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.items.map((endpoint) => (
                  <tr key={endpoint.id} data-endpoint={endpoint.id}>
                    <td>{endpoint.name}</td>
                    <td className="wide">{t.settings.kinds[endpoint.kind] ?? endpoint.kind}</td>
                    <td className="mono url">{endpoint.base_url}</td>
                    <td>{endpoint.model}</td>
                    <td>{endpoint.has_api_key ? t.settings.apiKeyStored : t.dashboard.none}</td>
                    <td className="wide number">{number(endpoint.context_tokens)}</td>
                    <td className="row-actions">
                      <div className="action-row">
                        <RowAction
                          label={t.settings.deleteOf(endpoint.name)}
                          text={t.dashboard.delete}
                          ask={t.settings.confirmDelete(endpoint.name)}
                          path={`/model-endpoints/${endpoint.id}`}
                          done={endpoints.reload}
                        />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <form className="panel-form" onSubmit={submit} aria-label={t.settings.addModel}>
        <div className="fields">
          <label>
            {t.settings.name}
            <input {...field("name")} required maxLength={100} pattern="[A-Za-z0-9_.\-]+" />
          </label>
          <label>
            {t.settings.kind}
            <select {...field("kind")}>
              {Object.entries(t.settings.kinds).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t.settings.baseUrl}
            <input
              {...field("base_url")}
              required
              maxLength={2000}
              inputMode="url"
              spellCheck={false}
              autoComplete="off"
              placeholder="https://openrouter.ai/api/v1"
            />
          </label>
          <label>
            {t.settings.model}
            <input {...field("model")} required maxLength={200} spellCheck={false} />
          </label>
          <label>
            {t.settings.apiKey}
            <input {...field("api_key")} type="password" autoComplete="new-password" />
          </label>
          <label>
            {t.settings.context}
            <input {...field("context_tokens")} type="number" min={512} max={2000000} required />
          </label>
          <label>
            {t.settings.mode}
            <select {...field("mode")}>
              {Object.entries(t.settings.modes).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="submit">
          <button type="submit" disabled={busy} aria-describedby="model-problem">
            {busy ? t.settings.adding : t.settings.addModel}
          </button>
          <Problem id="model-problem" text={problem} />
        </div>
      </form>
    </Panel>
  );
}
