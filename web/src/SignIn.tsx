import { useState, type FormEvent } from "react";
import { errorText, fieldErrors, signIn, signUp } from "./api";
import { Link } from "./Link";
import { t } from "./strings";


export function SignIn(props: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email, password);
      props.onSignedIn();
    } catch (exc) {
      setError(errorText(exc));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>{t.signIn.title}</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          {t.signIn.email}
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label>
          {t.signIn.password}
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {t.signIn.failed}: {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t.signIn.busy : t.signIn.submit}
        </button>
      </form>
      <p>
        {t.signIn.noAccount} <Link to={{ name: "signup" }}>{t.signIn.toSignUp}</Link>
      </p>
    </main>
  );
}

/** The sign-up form's fields, which show their own errors. */
const SHOWN = ["email", "password", "confirm"];

export function SignUp(props: { onSignedIn: () => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setFields({});
    if (password !== confirm) {
      setFields({ confirm: t.signUp.mismatch });
      return;
    }
    setBusy(true);
    try {
      await signUp(email, password);
      props.onSignedIn();
    } catch (exc) {
      const named = fieldErrors(exc);
      setFields(named);
      // a field the form does not show (the body as a whole): the message above the form
      if (!Object.keys(named).some((name) => SHOWN.includes(name))) setError(errorText(exc));
    } finally {
      setBusy(false);
    }
  };

  const problem = (name: string) =>
    fields[name] ? (
      <span id={`signup-${name}-error`} className="error" role="alert">
        {fields[name]}
      </span>
    ) : null;
  const describedBy = (name: string, hint?: string) =>
    [fields[name] ? `signup-${name}-error` : "", hint ?? ""].filter(Boolean).join(" ") ||
    undefined;

  return (
    <main className="sign-in">
      <h1>{t.signUp.title}</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          {t.signUp.email}
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            value={email}
            aria-invalid={Boolean(fields.email)}
            aria-describedby={describedBy("email")}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        {problem("email")}
        <label>
          {t.signUp.password}
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={password}
            aria-invalid={Boolean(fields.password)}
            aria-describedby={describedBy("password", "signup-password-hint")}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <span id="signup-password-hint" className="hint">
          {t.signUp.passwordHint}
        </span>
        {problem("password")}
        <label>
          {t.signUp.confirm}
          <input
            type="password"
            name="confirm"
            autoComplete="new-password"
            required
            value={confirm}
            aria-invalid={Boolean(fields.confirm)}
            aria-describedby={describedBy("confirm")}
            onChange={(event) => setConfirm(event.target.value)}
          />
        </label>
        {problem("confirm")}
        {error && (
          <p role="alert" className="error">
            {t.signUp.failed}: {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t.signUp.busy : t.signUp.submit}
        </button>
      </form>
      <p>
        {t.signUp.haveAccount} <Link to={{ name: "login" }}>{t.signUp.toSignIn}</Link>
      </p>
    </main>
  );
}
