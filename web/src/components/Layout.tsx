// The frame around every signed-in page: tenant and user, navigation limited to what the permissions allow, and the
// page heading, which takes focus on each navigation so keyboard and screen-reader users start at the new content.

import { useEffect, useRef, useState, type ReactNode } from "react";
import { asApiError, type ApiError, type Session } from "../api";
import type { PageDef } from "../App";
import { roleLabel, t } from "../i18n";
import { linkClick } from "../router";
import { ErrorAlert } from "./ErrorAlert";

interface Props {
  session: Session;
  pages: PageDef[];
  path: string;
  title: string;
  onLogout: (everywhere: boolean) => Promise<void>;
  children: ReactNode;
}

export function Layout({ session, pages, path, title, onLogout, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [logoutError, setLogoutError] = useState<ApiError | null>(null);
  const visible = pages.filter((p) => p.permission === null || session.permissions.includes(p.permission));

  useEffect(() => {
    document.title = `${title} · ${session.tenant.name} · ${t("app.name")}`;
    heading.current?.focus();
  }, [path, title, session.tenant.name]);

  async function logout() {
    setLogoutError(null);
    try {
      await onLogout(false);
    } catch (error) {
      setLogoutError(asApiError(error));
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="app-header">
        <div className="brand">
          <span className="app-name">{t("app.name")}</span>
          <span className="tenant" data-testid="tenant-name">
            {session.tenant.name}
          </span>
        </div>
        <nav aria-label={t("nav.label")}>
          <ul>
            {visible.map((page) => (
              <li key={page.path}>
                <a
                  href={page.path}
                  onClick={linkClick(page.path)}
                  aria-current={page.path === path ? "page" : undefined}
                  data-testid={`nav-${page.path.slice(1)}`}
                >
                  {t(page.title)}
                </a>
              </li>
            ))}
            <li>
              {/* The public demo page: the demo hotlines' chat, as a caller sees it. */}
              <a href="/demo" target="_blank" rel="noopener" data-testid="nav-demo">
                {t("nav.demo")}
              </a>
            </li>
          </ul>
        </nav>
        <div className="who">
          <span data-testid="current-user">
            {session.user.display_name || session.user.username}
            <span className="muted small"> ({session.user.username}, {roleLabel(session.user.role)})</span>
          </span>
          <button type="button" onClick={() => void logout()} data-testid="logout">
            {t("account.logout")}
          </button>
        </div>
      </header>
      <main id="main" className="page">
        <ErrorAlert error={logoutError} />
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {children}
      </main>
    </>
  );
}
