import { useEffect, useState } from "react";
import { refresh, signOut, whenSignedOut } from "./api";
import { Bots } from "./Bots";
import { Builder } from "./Builder";
import { Executions } from "./Executions";
import { Link } from "./Link";
import { go, goTo, mayLeave, parse, useRoute } from "./router";
import { History } from "./History";
import { Schedules } from "./Schedules";
import { Settings } from "./Settings";
import { SignIn, SignUp } from "./SignIn";
import { t } from "./strings";

type Auth = "checking" | "in" | "out";

let wanted: string | null = null;

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>("checking");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    whenSignedOut(() => setAuth("out"));
    void refresh().then((ok) => setAuth(ok ? "in" : "out"));
  }, []);

  useEffect(() => {
    if (auth === "out" && route.name !== "login" && route.name !== "signup") {
      wanted = location.pathname + location.search;
      go({ name: "login" }, true);
    }
    if (auth === "in" && (route.name === "login" || route.name === "signup")) {
      // back to the page that asked for the sign-in
      const target = wanted && parse(wanted.split("?")[0]).name !== "login" ? wanted : null;
      wanted = null;
      if (target) goTo(target, true);
      else go({ name: "bots" }, true);
    }
  }, [auth, route.name]);

  if (auth === "checking") return <p className="loading">{t.loading}</p>;
  if (auth === "out" || route.name === "login" || route.name === "signup") {
    const entered = () => setAuth("in");
    return route.name === "signup" ? <SignUp onSignedIn={entered} /> : <SignIn onSignedIn={entered} />;
  }
  const leave = async () => {
    if (!mayLeave()) return; // unsaved changes, kept
    try {
      await signOut();
    } catch {
      setProblem(t.errors.signOut); // the server still has the session: a reload resumes it
      return;
    }
    setProblem(null);
    setAuth("out");
  };
  return (
    <div className="shell">
      <header className="top">
        <Link to={{ name: "bots" }} className="brand">
          {t.appName}
        </Link>
        <nav aria-label={t.appName}>
          <Link to={{ name: "bots" }} current={route.name === "bots"}>
            {t.nav.bots}
          </Link>
          <Link to={{ name: "executions" }} current={route.name === "executions"}>
            {t.nav.executions}
          </Link>
          <Link to={{ name: "schedules" }} current={route.name === "schedules"}>
            {t.dashboard.nav.schedules}
          </Link>
          <Link to={{ name: "settings" }} current={route.name === "settings"}>
            {t.dashboard.nav.settings}
          </Link>
        </nav>
        <button
          type="button"
          className="sign-out"
          onClick={() => void leave()}
          aria-describedby={problem ? "sign-out-problem" : undefined}
        >
          {t.signOut}
        </button>
        {problem && (
          <p id="sign-out-problem" role="alert" className="problem">
            {problem}
          </p>
        )}
      </header>
      <main>
        {route.name === "bots" && <Bots />}
        {route.name === "bot" && <Builder key={route.id} botId={route.id} />}
        {route.name === "history" && <History key={route.id} botId={route.id} />}
        {route.name === "executions" && <Executions />}
        {route.name === "schedules" && <Schedules />}
        {route.name === "settings" && <Settings />}
        {route.name === "missing" && <p role="alert">{t.errors.notFound}</p>}
      </main>
    </div>
  );
}
