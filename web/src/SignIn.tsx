import { useState, type FormEvent } from "react";
import { ApiError, signIn } from "./api";
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
      setError(exc instanceof ApiError ? exc.message : t.errors.network);
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
    </main>
  );
}
