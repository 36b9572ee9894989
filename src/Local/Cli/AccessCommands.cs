using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Approvals.Core.Http;

namespace Approvals.Local.Cli;

/// <summary><c>approvals-local access list</c> and <c>access request</c>: the second half of Indent's quickstart.</summary>
internal static class AccessCommands
{
    public static Command Access(CommandLine.CallerOptions caller, Option<int?> deadline, TextWriter output, TextWriter error)
    {
        var access = new Command("access", "Time-boxed access to a requestable resource: list what you may request, or ask for it.");

        var list = new Command("list", "List the resources you may request here (Indent's requestable resources this deployment can grant).")
        {
            caller.Api, caller.Key, caller.As, caller.Token, caller.Scope, caller.DataDirectory,
        };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var connection = await CommandLine.ConnectionAsync(parse, caller, autoApprove: false, error);
            return connection is null ? ExitCodes.Usage : await ApprovalClient.WithApiAsync(connection, error, (http, _, _) => ListAsync(http, connection.Token, output, error, cancellationToken), cancellationToken);
        });
        access.Add(list);

        var resource = new Option<string?>("--resource") { Description = "The resource, by display name or id (access list shows them), e.g. Production." };
        var reason = new Option<string?>("--reason") { Description = "Why you need it (default: $REASON)." };
        var duration = new Option<int?>("--duration") { Description = "Seconds the access lasts once granted (default: the deployment's, 1 hour unless configured)." };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "With the built-in host: the emulator approves after a few seconds." };
        var request = new Command("request", "Ask for time-boxed access, wait for the decision, and report until when. With the built-in host, the command keeps the host running until the access ends (Ctrl+C ends it early).")
        {
            resource, reason, duration, autoApprove, deadline, caller.Api, caller.Key, caller.As, caller.Token, caller.Scope, caller.DataDirectory,
        };
        request.SetAction(async (parse, cancellationToken) =>
        {
            var what = parse.GetValue(resource);
            var why = parse.GetValue(reason) ?? Environment.GetEnvironmentVariable("REASON");
            if (string.IsNullOrWhiteSpace(what) || string.IsNullOrWhiteSpace(why))
            {
                await error.WriteLineAsync("Give --resource and --reason (or set REASON).");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(duration) is <= 0)
            {
                await error.WriteLineAsync("--duration must be a positive number of seconds.");
                return ExitCodes.Usage;
            }

            var connection = await CommandLine.ConnectionAsync(parse, caller, parse.GetValue(autoApprove), error);
            if (connection is null)
            {
                return ExitCodes.Usage;
            }

            // A closed terminal (SIGHUP) ends the access as Ctrl+C and SIGTERM do: with the built-in host, the membership is
            // removed before the command exits, never left behind by a process that died with its terminal.
            using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var onHangUp = OperatingSystem.IsWindows() ? null : System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                hangUp.Cancel();
            });
            return await ApprovalClient.RunAsync(
                new ApprovalClient.Options("", why, connection.Api, connection.Key, parse.GetValue(deadline), connection.AutoApprove, connection.DataDirectory, connection.As, connection.Token,
                    new ApprovalClient.AccessAsk(what, parse.GetValue(duration))),
                output, error, hangUp.Token);
        });
        access.Add(request);
        return access;
    }

    static async Task<int> ListAsync(HttpClient http, ApiToken? token, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("api/resources", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await error.WriteLineAsync($"The resources could not be listed (HTTP {(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
            await ApiRefusal.ExplainAsync(response.StatusCode, token, error);
            return response.StatusCode switch
            {
                HttpStatusCode.ServiceUnavailable => ExitCodes.Unreachable,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Refused,
                _ => ExitCodes.Failed,
            };
        }

        var view = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ResourcesView, cancellationToken);
        if (view is null || view.Resources.Count == 0)
        {
            await output.WriteLineAsync("No resource can be requested here (APPROVALS_ACCESS_GROUPS maps none of Indent's requestable resources).");
            return ExitCodes.Done;
        }

        var width = view.Resources.Max(r => r.DisplayName.Length);
        foreach (var r in view.Resources)
        {
            await output.WriteLineAsync($"{r.DisplayName.PadRight(width)}  {r.Id} ({r.Kind})");
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"durations: {view.MinDurationSeconds} to {view.MaxDurationSeconds} seconds, {view.DefaultDurationSeconds} when not given"));
        return ExitCodes.Done;
    }
}
