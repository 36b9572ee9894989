using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Hosting;
using Azure.Identity;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Cli;

/// <summary>The quickstart in a terminal: request a password reset (or time-boxed access), print the seed's progress
/// lines while the durable workflow waits, print the outcome, exit with a code that says it.</summary>
public static class ApprovalClient
{
    /// <summary>What to ask for: a password reset for <paramref name="User"/>, or, with <paramref name="Access"/>, access to a
    /// resource. <c>UserFromEnvironment</c>: --user was left out and the user is <c>$USER</c> (the seed's default), which
    /// is said when the target is.</summary>
    public sealed record Options(string User, string Reason, Uri? Api, string? Key, int? DeadlineSeconds, bool AutoApprove, string? DataDirectory, string? As = null, ApiToken? Token = null, AccessAsk? Access = null, bool UserFromEnvironment = false, ActionAsk? Action = null);

    /// <summary>An action of the catalog (<see cref="Core.Actions.ActionCatalog"/>) and the values of its own fields.</summary>
    public sealed record ActionAsk(Core.Actions.ActionDescription Action, IReadOnlyDictionary<string, int> Fields);

    /// <summary>Time-boxed access: the resource (id or display name) and for how long.</summary>
    public sealed record AccessAsk(string Resource, int? DurationSeconds);

    /// <summary>The environment variable that holds the caller's bearer token for <c>--api</c>.</summary>
    public const string TokenVariable = "APPROVALS_TOKEN";

    public static Task<int> RunAsync(Options options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WithApiAsync(new Connection(options.Api, options.Key, options.Token, options.DataDirectory, options.As, options.AutoApprove), error,
            (http, root, host) => RequestAndWaitAsync(http, root, options, host, output, error, cancellationToken), cancellationToken);
    }

    /// <summary>Where the API is and who calls it: <paramref name="Api"/> with <paramref name="Token"/> (given, or signed in
    /// for with Microsoft Entra ID), or (no API) a built-in host for this command, whose own issuer mints a token for
    /// <paramref name="As"/>.</summary>
    public sealed record Connection(Uri? Api, string? Key, ApiToken? Token, string? DataDirectory, string? As, bool AutoApprove = false);

    /// <summary>Runs <paramref name="work"/> against the API: the one given, or a built-in host started for it and stopped
    /// after. Unreachable APIs and hosts that cannot start end with their exit codes.</summary>
    public static async Task<int> WithApiAsync(Connection connection, TextWriter error, Func<HttpClient, Uri, RunningHost?, Task<int>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(work);
        RunningHost? host = null;
        try
        {
            var api = connection.Api;
            var token = connection.Token;
            if (api is null)
            {
                host = await LocalHost.StartAsync(new LocalHostOptions
                {
                    Port = 0,
                    DataDirectory = connection.DataDirectory,
                    AutoApproveSeconds = connection.AutoApprove ? CommandLine.DefaultAutoApproveSeconds : null,
                    LogLevel = LogLevel.Warning,
                }, cancellationToken);
                api = host.BaseAddress;
                token = ApiToken.Given(host.MintToken(connection.As ?? Identity.LocalIssuer.DefaultPerson()), ApiTokenKind.Local);
            }

            ArgumentNullException.ThrowIfNull(token);
            // Signing in (a device code waits for a person) happens here, outside the requests' 30 s timeout; later
            // requests take the token afresh, renewed before it expires.
            await token.GetAsync(cancellationToken);
            var root = new Uri(api.ToString().TrimEnd('/') + "/");
            using var http = new HttpClient(token.Handler()) { BaseAddress = root, Timeout = TimeSpan.FromSeconds(30) };
            if (connection.Key is not null)
            {
                http.DefaultRequestHeaders.Add("x-functions-key", connection.Key);
            }

            return await work(http, root, host);
        }
        catch (AuthenticationFailedException e)
        {
            // No token could be had (the chain's message names each credential and why); nothing was sent with it.
            await error.WriteLineAsync($"Could not sign in to Microsoft Entra ID for {connection.Token?.Scope}: {e.Message}");
            await error.WriteLineAsync("↳ sign in with az login (or give a token: --token or " + TokenVariable + ")");
            return ExitCodes.Refused;
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden && ApiRefusal.Hint(e.StatusCode.Value, connection.Token) is { } hint)
        {
            // A refusal after the start (a status read): the approval goes on; say why the token no longer does.
            await error.WriteLineAsync($"The API refused a request (HTTP {(int)e.StatusCode}).");
            await error.WriteLineAsync(hint);
            return ExitCodes.Unreachable;
        }
        catch (HttpRequestException e)
        {
            await error.WriteLineAsync($"Could not reach the Approvals API: {e.Message}");
            return ExitCodes.Unreachable;
        }
        catch (Exception e) when (host is null && connection.Api is null && e is not OperationCanceledException)
        {
            await error.WriteLineAsync("Could not start the built-in host: " + StartupException.OneLine(e, verbose: false));
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            await error.WriteLineAsync("Stopped: " + e.Message);
            return ExitCodes.Usage;
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>The inbox's sign-in link of a host on this machine, when its data directory holds one; else the bare page.</summary>
    static Uri InboxLink(Uri root, string? dataDirectory)
    {
        var data = dataDirectory ?? (Environment.GetEnvironmentVariable(LocalHostSettings.DataDirectorySetting) is { Length: > 0 } d ? d : LocalHost.DefaultDataDirectory());
        return File.Exists(Inbox.InboxSession.TokenFile(data)) ? Inbox.InboxSession.Open(data).Link(root) : new Uri(root, "inbox");
    }

    static async Task<int> RequestAndWaitAsync(HttpClient http, Uri root, Options options, RunningHost? host, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var request = options.Action is { } act
            ? new HttpRequestMessage(HttpMethod.Post, "api/actions/" + act.Action.Name) { Content = JsonContent.Create(ActionBody(options, act), ApiJsonContext.Default.JsonObject) }
            : options.Access is { } ask
            ? new HttpRequestMessage(HttpMethod.Post, "api/access-requests")
            {
                Content = JsonContent.Create(new AccessRequestBody { Resource = ask.Resource, Reason = options.Reason, DurationSeconds = ask.DurationSeconds, DeadlineSeconds = options.DeadlineSeconds }, ApiJsonContext.Default.AccessRequestBody),
            }
            : new HttpRequestMessage(HttpMethod.Post, "api/password-resets")
            {
                Content = JsonContent.Create(new PasswordResetBody { UserId = options.User, Reason = options.Reason, DeadlineSeconds = options.DeadlineSeconds }, ApiJsonContext.Default.PasswordResetBody),
            };
        // One key per run: if this POST is retried (by us or a proxy) it cannot start a second approval.
        request.Headers.Add(ApprovalsApi.IdempotencyKeyHeader, Guid.NewGuid().ToString("N"));
        using var started = await http.SendAsync(request, cancellationToken);
        if (started.StatusCode != HttpStatusCode.Accepted)
        {
            var problem = await started.Content.ReadAsStringAsync(cancellationToken);
            var code = ExitCodes.ForRefusedStart(started.StatusCode);
            await error.WriteLineAsync($"{(code == ExitCodes.Refused ? "Refused before anything started" : "The request was refused")} (HTTP {(int)started.StatusCode}): {Describe(problem)}");
            await ApiRefusal.ExplainAsync(started.StatusCode, options.Token, error);
            return code;
        }

        var body = await started.Content.ReadFromJsonAsync(ApiJsonContext.Default.StartedResponse, cancellationToken)
            ?? throw new InvalidOperationException("The API accepted the request but returned no id.");
        if (host is null)
        {
            // A running host or a Function App keeps the approval after this command: say where to follow (or cancel) it.
            await output.WriteLineAsync($"approval {body.Id}  {body.StatusQueryGetUri}");
            await output.FlushAsync(cancellationToken);
        }

        var targetSaid = false;
        var statusPath = "api/approvals/" + Uri.EscapeDataString(body.Id);
        var announced = false;
        var granted = false;
        var active = false;
        var nextWaitingLine = 2;
        try
        {
            while (true)
            {
                var view = await http.GetFromJsonAsync(statusPath, ApiJsonContext.Default.ApprovalView, cancellationToken);
                if (view is null)
                {
                    continue;
                }

                if (!targetSaid)
                {
                    await output.WriteLineAsync(Asking(view, options));
                    targetSaid = true;
                }

                if (!announced && view.Petition is not null)
                {
                    await output.WriteLineAsync(new ApprovalProgress.Requested(view.Space ?? "indent", view.Petition).ToString());
                    if (host?.Emulated == true || root.IsLoopback)
                    {
                        await output.WriteLineAsync($"↳ An approver can decide at {host?.Inbox ?? InboxLink(root, options.DataDirectory)}");
                    }

                    announced = true;
                }

                if (!granted && view.Status is ApprovalStatuses.Approved or ApprovalStatuses.Completed or ApprovalStatuses.Active)
                {
                    await output.WriteLineAsync(ApprovalProgress.OutcomeLine(ApprovalOutcome.Granted));
                    granted = true;
                }

                switch (view.Status)
                {
                    case ApprovalStatuses.Active when !active:
                        active = true;
                        await AnnounceAccessAsync(view, output);
                        if (host is null)
                        {
                            return ExitCodes.Done; // a running host keeps the access, and ends it on time, without us
                        }

                        await output.WriteLineAsync($"↳ This command runs the host that ends the access: keep it open until then, or press Ctrl+C to end it now.");
                        break;
                    case ApprovalStatuses.Completed when options.Access is not null:
                        if (!active)
                        {
                            await AnnounceAccessAsync(view, output);
                        }

                        await output.WriteLineAsync("access ended: " + (view.Access?.EndedBecause ?? view.Detail));
                        return ExitCodes.Done;
                    case ApprovalStatuses.Completed:
                        await output.WriteLineAsync();
                        await output.WriteLineAsync(options.Action is { } done ? $"done: {done.Action.Title} user:{options.User}" : $"done: password reset user:{options.User}");
                        await CollectPasswordAsync(http, statusPath, options.User, output, error, cancellationToken, options.Action?.Action.Secret);
                        if (host is not null)
                        {
                            // The built-in host stops with this command: let it finish destroying the collected secret first.
                            await DestroyedAsync(host, body.Id, cancellationToken);
                        }

                        return ExitCodes.Done;
                    case ApprovalStatuses.Denied:
                        await OutcomeAsync(ApprovalProgress.OutcomeLine(ApprovalOutcome.Denied), view, output);
                        return ExitCodes.Denied;
                    case ApprovalStatuses.Expired:
                        await OutcomeAsync("⌛ Expired", view, output);
                        return ExitCodes.Expired;
                    case ApprovalStatuses.Cancelled:
                        await OutcomeAsync("🚫 Cancelled", view, output);
                        return ExitCodes.Cancelled;
                    case ApprovalStatuses.Failed:
                        await OutcomeAsync("💥 Failed", view, output);
                        return ExitCodes.Failed;
                }

                if (announced && !granted && clock.Elapsed.TotalSeconds >= nextWaitingLine)
                {
                    await output.WriteLineAsync(new ApprovalProgress.Waiting(TimeSpan.FromSeconds(nextWaitingLine)).ToString());
                    nextWaitingLine *= 2;
                }

                await output.FlushAsync(cancellationToken);
                await Task.Delay(host is null || active ? 500 : 100, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && active && host is not null)
        {
            // Ctrl+C while the built-in host holds the access: end it now, so no membership outlives this command.
            return await EndAccessAsync(http, statusPath, host, body.Id, output, error);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync(host is null
                ? $"Stopped waiting; the approval goes on. Follow it at {body.StatusQueryGetUri}"
                : "Stopped; the built-in host stops with this command, so the approval stops too.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>Who or what the request is for, said before anyone is asked: the user as the directory names them (and
    /// that it came from <c>$USER</c> when --user was left out), or the resource and the duration.</summary>
    internal static string Asking(ApprovalView view, Options options)
    {
        if (options.Access is not null)
        {
            var resource = view.Access is { } a ? (a.ResourceName == a.Resource ? a.Resource : $"{a.ResourceName} ({a.Resource})") : options.Access.Resource;
            var seconds = view.Access?.DurationSeconds ?? options.Access.DurationSeconds;
            return $"asking for access to {resource}{(seconds is { } s ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $" for {Duration(s)}") : "")}";
        }

        var who = view.Target is { } t ? t.SignInName ?? t.Name ?? t.Id : options.User;
        if (options.Action is { } act)
        {
            return $"asking for a {act.Action.Title} for {who} (user {options.User})";
        }

        var source = options.UserFromEnvironment ? $"user {options.User}, from $USER: give --user to reset someone else" : $"user {options.User}";
        return $"asking to reset the password of {who} ({source})";
    }

    static System.Text.Json.Nodes.JsonObject ActionBody(Options options, ActionAsk act)
    {
        var body = new System.Text.Json.Nodes.JsonObject { ["userId"] = options.User, ["reason"] = options.Reason };
        if (options.DeadlineSeconds is { } deadline)
        {
            body["deadlineSeconds"] = deadline;
        }

        foreach (var (name, value) in act.Fields)
        {
            body[name] = value;
        }

        return body;
    }

    static string Duration(int seconds) => seconds % 3600 == 0 ? $"{seconds / 3600} h" : seconds % 60 == 0 ? $"{seconds / 60} min" : $"{seconds} s";

    /// <summary>How it ended, as the API knows it: the outcome line, then the detail (who decided, and why when the
    /// workflow refused a grant — four eyes — or failed).</summary>
    static async Task OutcomeAsync(string line, ApprovalView view, TextWriter output)
    {
        await output.WriteLineAsync(line);
        var detail = view.Detail;
        if (view.DecidedBy is { } by && (detail is null || !detail.Contains(by, StringComparison.OrdinalIgnoreCase)))
        {
            detail = detail is null ? $"decided by {by}" : $"{detail} (decided by {by})";
        }

        if (detail is not null)
        {
            await output.WriteLineAsync("↳ " + detail);
        }
    }

    static async Task AnnounceAccessAsync(ApprovalView view, TextWriter output)
    {
        await output.WriteLineAsync();
        var until = view.Access?.ActiveUntil is { } at ? new DateTimeOffset(at, TimeSpan.Zero).ToLocalTime().ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) : "?";
        await output.WriteLineAsync($"done: access to {view.Access?.ResourceName ?? view.Access?.Resource} until {until}");
    }

    /// <summary>Ends active access early (a cancel, as the requester) and waits, bounded, until the membership is gone.</summary>
    static async Task<int> EndAccessAsync(HttpClient http, string statusPath, RunningHost host, string id, TextWriter output, TextWriter error)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var cancel = await http.PostAsJsonAsync(statusPath + "/cancel", new CancelBody { Reason = "ended from the command line" }, ApiJsonContext.Default.CancelBody, bound.Token);
        var client = (Microsoft.DurableTask.Client.DurableTaskClient)host.Services.GetService(typeof(Microsoft.DurableTask.Client.DurableTaskClient))!;
        try
        {
            await client.WaitForInstanceCompletionAsync(id, bound.Token);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("The access could not be ended in 30 s; with the in-memory engine it ends with this process, unremoved. Check the local groups log.");
            return ExitCodes.Failed;
        }

        var view = await http.GetFromJsonAsync(statusPath, ApiJsonContext.Default.ApprovalView, CancellationToken.None);
        await output.WriteLineAsync("access ended: " + (view?.Access?.EndedBecause ?? view?.Detail));
        return ExitCodes.Done;
    }

    /// <summary>The requester collects the temporary password: shown here once, then destroyed on the server.</summary>
    static async Task CollectPasswordAsync(HttpClient http, string statusPath, string user, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? secret = null)
    {
        var what = secret ?? "temporary password";
        using var response = await http.PostAsync(statusPath + "/credential", null, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await error.WriteLineAsync($"The {what} could not be collected (HTTP {(int)response.StatusCode}): {Describe(await response.Content.ReadAsStringAsync(cancellationToken))}");
            return;
        }

        var credential = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.CredentialResponse, cancellationToken);
        await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{what} for user:{user}: {credential!.Password}"));
        await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"  shown once, now destroyed on the server; {(credential.ForceChangeAtNextSignIn ? "it must be changed at next sign-in; " : "")}valid until {credential.ExpiresOn:yyyy-MM-dd HH:mm} UTC"));
    }

    static async Task DestroyedAsync(RunningHost host, string id, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        var client = (Microsoft.DurableTask.Client.DurableTaskClient)host.Services.GetService(typeof(Microsoft.DurableTask.Client.DurableTaskClient))!;
        try
        {
            await client.WaitForInstanceCompletionAsync(CredentialRevealOrchestrator.InstanceIdFor(id), bound.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Bounded: a durable engine would finish it at the next start; the in-memory one cannot, and the file is owner-only.
        }
    }

    static string Describe(string problemJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(problemJson);
            var detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            if (doc.RootElement.TryGetProperty("errors", out var errors))
            {
                detail = string.Join("; ", errors.EnumerateObject().SelectMany(p => p.Value.EnumerateArray().Select(v => v.GetString())));
            }

            return detail ?? problemJson;
        }
        catch (JsonException)
        {
            return problemJson.Length > 300 ? problemJson[..300] : problemJson;
        }
    }
}
