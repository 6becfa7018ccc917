import { useCallback, useEffect, useMemo, useState } from "react";
import { openSession, type SessionInfo } from "./api";
import { ChatApp } from "./ChatApp";
import { I18nContext, MESSAGES } from "./i18n";
import { loadSettings, saveSettings, type Settings } from "./settings";

type Gate = { kind: "checking" } | { kind: "signed-out"; reason: string | null } | { kind: "signed-in"; session: SessionInfo };

export function App() {
  const [settings, setSettings] = useState<Settings>(() => loadSettings());
  const [gate, setGate] = useState<Gate>({ kind: "checking" });
  const i18n = useMemo(() => ({ t: MESSAGES[settings.language], language: settings.language }), [settings.language]);
  const t = i18n.t;

  useEffect(() => {
    document.documentElement.lang = settings.language;
    saveSettings(settings);
  }, [settings]);

  useEffect(() => {
    openSession()
      .then(({ session, linkFailed }) => {
        if (session.authenticated) setGate({ kind: "signed-in", session });
        else setGate({ kind: "signed-out", reason: linkFailed ? "link" : null });
      })
      .catch(() => setGate({ kind: "signed-out", reason: "unreachable" }));
  }, []);

  const onSignedOut = useCallback((reason: string | null) => setGate({ kind: "signed-out", reason }), []);

  return (
    <I18nContext.Provider value={i18n}>
      {gate.kind === "checking" && (
        <main className="center-page" aria-busy="true">
          <p>{t.checking}</p>
        </main>
      )}
      {gate.kind === "signed-out" && (
        <main className="center-page">
          <section className="signin-card" aria-labelledby="signin-title">
            <img src="/favicon.svg" alt="" width={56} height={56} />
            <h1 id="signin-title">{t.signInTitle}</h1>
            {gate.reason === "link" && (
              <p className="error-text" role="alert">
                {t.signInFailed}
              </p>
            )}
            {gate.reason === "expired" && (
              <p className="error-text" role="alert">
                {t.sessionExpired}
              </p>
            )}
            {gate.reason === "signed-out" && (
              <p className="error-text" role="alert">
                {t.signedOutElsewhere}
              </p>
            )}
            {gate.reason === "unreachable" && (
              <p className="error-text" role="alert">
                {t.statusDown}
              </p>
            )}
            <p>{t.signInHelp}</p>
            <pre className="command">jarvis signin-link</pre>
          </section>
        </main>
      )}
      {gate.kind === "signed-in" && (
        <ChatApp session={gate.session} settings={settings} onSettings={setSettings} onSignedOut={onSignedOut} />
      )}
    </I18nContext.Provider>
  );
}
