using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Inbox;

/// <summary>The approver's inbox at <c>/inbox</c>: server-rendered HTML, every user-supplied string HTML-encoded,
/// state-changing forms protected by ASP.NET Core antiforgery tokens, a strict Content-Security-Policy.</summary>
public static class InboxPage
{
    public const string Approver = "approver@inbox.local";

    static readonly (string Label, string? Duration)[] Durations =
    [
        ("until revoked", null), ("1 hour", "1h0m0s"), ("3 hours", "3h0m0s"), ("8 hours", "8h0m0s"), ("24 hours", "24h0m0s"),
    ];

    public static IEndpointRouteBuilder MapInbox(this IEndpointRouteBuilder app)
    {
        var inbox = app.MapGroup("/inbox");
        inbox.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<InboxSession>().Check(context.HttpContext) ?? await next(context));
        inbox.MapGet("", async (HttpContext http, IndentEmulator emulator, IAntiforgery antiforgery, TimeProvider time, FileUserDirectory people, DurableTaskClient durable) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            http.Response.Headers.ContentSecurityPolicy = $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers.XFrameOptions = "DENY";
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers["Referrer-Policy"] = "no-referrer";
            var approvers = Approvers(people);
            var all = emulator.All();
            var finished = await FinishedAsync(all, durable, http.RequestAborted);
            return Results.Content(Render(all, finished, tokens.RequestToken!, nonce, time.GetUtcNow(), http.Request.Query["error"], ActingAs(http, approvers), approvers), "text/html; charset=utf-8");
        });

        // Who the approver is: one of the directory's people (or the default approver), kept in a cookie.
        inbox.MapPost("/acting-as", async (HttpContext http, IAntiforgery antiforgery, FileUserDirectory people) =>
        {
            if (await FormAsync(http, antiforgery) is not { } form)
            {
                return InvalidForm();
            }

            var chosen = form["actor"].ToString();
            if (!Approvers(people).Contains(chosen, StringComparer.Ordinal))
            {
                return Results.Problem(statusCode: 400, title: "Unknown approver", detail: "Choose an approver from the list.");
            }

            http.Response.Cookies.Append(ActorCookie, chosen, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/inbox", IsEssential = true });
            return Results.Redirect("/inbox", permanent: false, preserveMethod: false);
        }).DisableAntiforgery();

        inbox.MapPost("/petitions/{name}/{action}", async (string name, string action, HttpContext http, IndentEmulator emulator, IAntiforgery antiforgery, FileUserDirectory people) =>
        {
            if (await FormAsync(http, antiforgery) is not { } form)
            {
                return InvalidForm();
            }

            var reason = form["reason"].ToString();
            var claim = action switch
            {
                "approve" => new IndentEvent
                {
                    EventType = IndentEventTypes.Approve,
                    Reason = string.IsNullOrWhiteSpace(reason) ? "approved in the inbox" : reason,
                    Meta = form["duration"].ToString() is { Length: > 0 } d ? new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = d } } : null,
                },
                "deny" => new IndentEvent { EventType = IndentEventTypes.Deny, Reason = string.IsNullOrWhiteSpace(reason) ? "denied in the inbox" : reason },
                "revoke" => new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = string.IsNullOrWhiteSpace(reason) ? "revoked in the inbox" : reason },
                _ => null,
            };
            if (claim is null)
            {
                return Results.NotFound();
            }

            try
            {
                emulator.Claim(name, claim, ActingAs(http, Approvers(people)));
                return Results.Redirect("/inbox", permanent: false, preserveMethod: false);
            }
            catch (EmulatorException e)
            {
                return Results.Redirect("/inbox?error=" + Uri.EscapeDataString(e.Message));
            }
        }).DisableAntiforgery();
        return app;
    }

    const string ActorCookie = "inbox-acting-as";

    static IResult InvalidForm() => Results.Problem(statusCode: 400, title: "Invalid form", detail: "The form's anti-forgery token is missing or invalid. Reload the inbox and try again.");

    /// <summary>The posted form, once its anti-forgery token checks out; <c>null</c> when it does not.</summary>
    static async Task<IFormCollection?> FormAsync(HttpContext http, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return null;
        }

        return await http.Request.ReadFormAsync(http.RequestAborted);
    }

    /// <summary>Who may act in the inbox: the default approver and every enabled person in the local directory.</summary>
    static List<string> Approvers(FileUserDirectory people) =>
        [Approver, .. people.People().Values.Where(p => p.Enabled && !string.IsNullOrEmpty(p.Email)).Select(p => p.Email!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    static string ActingAs(HttpContext http, List<string> approvers) =>
        http.Request.Cookies[ActorCookie] is { } chosen && approvers.Contains(chosen, StringComparer.Ordinal) ? chosen : Approver;

    /// <summary>The granted petitions whose approval has finished, with how (<c>done</c> for a completed one): a password
    /// reset is one-time, so once it ran there is nothing left to revoke, and ended access has already been taken
    /// away. Only granted petitions are looked up (one status read each); the rest are decided by their phase alone.</summary>
    static async Task<Dictionary<string, string>> FinishedAsync(IReadOnlyList<Petition> all, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var finished = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in all.Where(p => p.Phase == IndentPhases.Granted && p.Name is not null))
        {
            if (p.Meta?.Labels is not { } labels || !labels.TryGetValue(WorkflowLabels.Instance, out var id) || !ApprovalIds.IsValid(id)
                || await durable.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) is not { } instance)
            {
                continue;
            }

            var status = ApprovalsApi.ToView(instance).Status;
            if (ApprovalStatuses.IsFinal(status))
            {
                finished[p.Name!] = status == ApprovalStatuses.Completed ? "done" : status;
            }
        }

        return finished;
    }

    static string Render(IReadOnlyList<Petition> all, Dictionary<string, string> finished, string csrf, string nonce, DateTimeOffset now, string? error, string actingAs, IReadOnlyList<string> approvers)
    {
        var html = HtmlEncoder.Default;
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<title>Approvals inbox</title>");
        sb.Append(CultureInfo.InvariantCulture, $"<style nonce=\"{nonce}\">");
        sb.Append("""
            body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
            header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:18px}
            main{max-width:980px;margin:0 auto;padding:18px 24px}h2{font-size:15px;text-transform:uppercase;letter-spacing:.04em;color:#5b6478;margin:28px 0 10px}
            .card{background:#fff;border:1px solid #dfe3ea;border-radius:8px;padding:14px 16px;margin:0 0 10px}
            .row{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}.who{font-weight:600}.age{color:#6b7385;font-size:13px}
            .reason{margin:6px 0}.res{font-family:ui-monospace,monospace;font-size:13px;background:#eef1f6;border-radius:4px;padding:1px 6px;margin-right:4px}
            .phase{font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;background:#eef1f6}
            .phase-open{background:#fff4d6}.phase-granted,.phase-done{background:#d9f5e3}.phase-closed,.phase-revoked{background:#f9dede}
            form{display:inline-flex;gap:6px;align-items:center;margin:6px 8px 0 0}button{font:inherit;border-radius:6px;border:1px solid #b9c0cc;background:#fff;padding:4px 12px;cursor:pointer}
            button.approve{background:#1f8f4e;border-color:#1f8f4e;color:#fff}button.deny,button.revoke{background:#b42318;border-color:#b42318;color:#fff}
            details{margin-top:6px;font-size:13px}table{border-collapse:collapse}td{padding:2px 10px 2px 0;vertical-align:top}.empty{color:#6b7385}
            .error{background:#f9dede;border:1px solid #e8b4b4;padding:8px 12px;border-radius:6px}
            """);
        sb.Append("</style></head><body><header><h1>Approvals inbox <span class=\"age\">local Indent</span></h1></header><main>");
        sb.Append(CultureInfo.InvariantCulture, $"<form class=\"acting\" method=\"post\" action=\"/inbox/acting-as\"><input type=\"hidden\" name=\"csrf\" value=\"{html.Encode(csrf)}\"><label>Acting as <select name=\"actor\" aria-label=\"Acting as\">");
        foreach (var approver in approvers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<option value=\"{html.Encode(approver)}\"{(approver == actingAs ? " selected" : "")}>{html.Encode(approver)}</option>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"</select></label><button type=\"submit\">Switch</button> <span class=\"age\" data-acting-as=\"{html.Encode(actingAs)}\">decisions are made as {html.Encode(actingAs)}</span></form>");
        if (!string.IsNullOrEmpty(error))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\">{html.Encode(error)}</p>");
        }

        bool Live(Petition p) => p.Phase == IndentPhases.Granted && !finished.ContainsKey(p.Name ?? "");
        Section(sb, "Waiting for a decision", all.Where(p => p.Phase == IndentPhases.Open).Reverse(), finished, csrf, now, "Nothing is waiting for you.");
        Section(sb, "Granted", all.Where(Live).Reverse(), finished, csrf, now, "No active grants.");
        Section(sb, "Decided", all.Where(p => p.Phase != IndentPhases.Open && !Live(p)).Reverse().Take(25), finished, csrf, now, "Nothing decided yet.");
        sb.Append("</main>");
        // Refresh while idle, so new requests appear; never while the approver is choosing or reading.
        sb.Append(CultureInfo.InvariantCulture, $"<script nonce=\"{nonce}\">setInterval(function(){{if(!document.querySelector('select:focus,input:focus,details[open]'))location.reload()}},4000)</script>");
        sb.Append("</body></html>");
        return sb.ToString();
    }

    static void Section(StringBuilder sb, string title, IEnumerable<Petition> petitions, Dictionary<string, string> finished, string csrf, DateTimeOffset now, string empty)
    {
        var html = HtmlEncoder.Default;
        sb.Append(CultureInfo.InvariantCulture, $"<h2>{html.Encode(title)}</h2>");
        var any = false;
        foreach (var p in petitions)
        {
            any = true;
            var name = p.Name ?? "";
            var encodedName = html.Encode(name);
            var action = "/inbox/petitions/" + Uri.EscapeDataString(name);
            var requester = p.Petitioners is { Count: > 0 } ps && ps[0] is { } r
                ? (r.DisplayName is { Length: > 0 } dn && r.Email is { Length: > 0 } em && dn != em ? $"{dn} <{em}>" : r.Email ?? r.DisplayName ?? r.Id ?? "unknown")
                : "unknown";
            // A finished approval's grant shows how it ended (done, failed …) rather than Indent's "granted".
            var shown = finished.GetValueOrDefault(name) ?? p.Phase ?? "";
            sb.Append(CultureInfo.InvariantCulture, $"<article class=\"card\" data-petition=\"{encodedName}\" data-phase=\"{html.Encode(p.Phase ?? "")}\" data-approval=\"{html.Encode(finished.GetValueOrDefault(name) ?? "")}\">");
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"row\"><span class=\"who\">{html.Encode(requester)}</span><span class=\"phase phase-{html.Encode(shown)}\">{html.Encode(shown)}</span>");
            sb.Append(CultureInfo.InvariantCulture, $"<span class=\"age\">{html.Encode(Age(now - (p.Meta?.CreateTime ?? now)))} · #{encodedName}</span></div>");
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"reason\">{html.Encode(p.Reason ?? "")}</p><div><span class=\"age\">asks for</span> ");
            foreach (var res in p.Resources ?? [])
            {
                sb.Append(CultureInfo.InvariantCulture, $"<span class=\"res\" title=\"{html.Encode($"{res.Kind}:{res.Id}")}\">{html.Encode(res.DisplayName ?? $"{res.Kind}:{res.Id}")}</span>");
            }

            sb.Append("</div>");
            var hidden = $"<input type=\"hidden\" name=\"csrf\" value=\"{html.Encode(csrf)}\">";
            if (p.Phase == IndentPhases.Open)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{html.Encode(action)}/approve\">{hidden}<label>for <select name=\"duration\" aria-label=\"Grant duration\">");
                foreach (var (label, duration) in Durations)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"<option value=\"{html.Encode(duration ?? "")}\">{html.Encode(label)}</option>");
                }

                sb.Append("</select></label><button class=\"approve\" type=\"submit\">Approve</button></form>");
                sb.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{html.Encode(action)}/deny\">{hidden}<button class=\"deny\" type=\"submit\">Deny</button></form>");
            }
            else if (p.Phase == IndentPhases.Granted && !finished.ContainsKey(name))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{html.Encode(action)}/revoke\">{hidden}<button class=\"revoke\" type=\"submit\">Revoke</button></form>");
            }

            sb.Append("<details><summary>History</summary><table>");
            foreach (var e in p.State?.EventHistory ?? [])
            {
                var actor = e.Actor?.Email ?? e.Actor?.Id ?? "";
                var when = e.Timestamp?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{html.Encode(when)}</td><td>{html.Encode(e.EventType ?? "")}</td><td>{html.Encode(actor)}</td><td>{html.Encode(e.Reason ?? "")}</td></tr>");
            }

            sb.Append("</table></details></article>");
        }

        if (!any)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"empty\">{html.Encode(empty)}</p>");
        }
    }

    static string Age(TimeSpan age) =>
        age.TotalSeconds < 60 ? $"{Math.Max(0, (int)age.TotalSeconds)}s ago"
        : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m {age.Seconds}s ago"
        : age.TotalHours < 48 ? $"{(int)age.TotalHours}h {age.Minutes}m ago"
        : $"{(int)age.TotalDays}d ago";
}
