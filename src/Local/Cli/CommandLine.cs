using System.CommandLine;
using System.Globalization;
using System.Net;
using Approvals.Local.Hosting;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Cli;

/// <summary><c>approvals</c> (the .NET tool; <c>approvals-local</c> as <c>dotnet run --project src/Local</c> builds it):
/// <c>serve</c>, <c>reset-password</c>, <c>access</c>, one command per action, <c>token</c>, <c>users</c> and <c>versions</c>.</summary>
public static class CommandLine
{
    /// <summary>Seconds after which <c>--auto-approve</c> approves when no value is given.</summary>
    public const double DefaultAutoApproveSeconds = 3;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        // A root command named for how it was started (RootCommand would take the assembly's name), with the options
        // RootCommand adds.
        var root = new Command(ToolCommand.Name(), "Approvals: ask for a password reset, a Temporary Access Pass or time-boxed access behind an Indent approval — against a deployed API (--api, signing in with Microsoft Entra ID) or a built-in local host with an Indent emulator and an approver inbox (serve runs it on its own).")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };

        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 7071 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on. Loopback by default; anything else exposes the unauthenticated local API.", DefaultValueFactory = _ => "127.0.0.1" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where local state lives (emulator database, local users, temporary credentials). Default: $APPROVALS_DATA_DIR or ~/.local/state/approvals-local." };
        var autoApprove = new Option<double?>("--auto-approve") { Description = "Have the emulator approve every petition after SECONDS (default 3).", Arity = ArgumentArity.ZeroOrOne };
        var rules = new Option<string[]>("--rule") { Description = "Emulator auto-decision, repeatable: PATTERN=approve|deny|manual[:SECONDS], PATTERN a glob over kind:id (e.g. 'action:reset-password:*=approve:5').", AllowMultipleArgumentsPerToken = false };
        var otlp = new Option<string?>("--otlp") { Description = "Export traces and metrics over OTLP (gRPC) to this collector, e.g. http://127.0.0.1:4317." };
        var telemetryConsole = new Option<bool>("--telemetry-console") { Description = "Print traces and metrics (approvals started, finished by status, time to decision, action duration, refused webhooks) on the console." };
        var verbose = new Option<bool>("--verbose") { Description = "Also log the frameworks' and the retry pipeline's information lines (one per Indent or Graph call); by default they log warnings and errors only." };
        var serve = new Command("serve", "Run the API at /api, the Indent emulator at /indent/v1 and the approver inbox at /inbox.") { port, bind, dataDir, autoApprove, rules, otlp, telemetryConsole, verbose };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(bind), out var address))
            {
                await error.WriteLineAsync("--bind must be an IP address, such as 127.0.0.1.");
                return 1;
            }

            var portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535)
            {
                await error.WriteLineAsync("--port must be from 0 to 65535.");
                return 1;
            }

            var auto = AutoApprove(parse, autoApprove);
            if (auto is < 0 or > 86_400)
            {
                await error.WriteLineAsync("--auto-approve must be from 0 to 86400 seconds.");
                return 1;
            }

            var parsedRules = new List<Emulator.DecisionRule>();
            foreach (var text in parse.GetValue(rules) ?? [])
            {
                try
                {
                    parsedRules.Add(Emulator.DecisionRule.Parse(text));
                }
                catch (FormatException e)
                {
                    await error.WriteLineAsync("--rule: " + e.Message);
                    return 1;
                }
            }

            Uri? otlpUri = null;
            if (parse.GetValue(otlp) is { } otlpText && (!Uri.TryCreate(otlpText, UriKind.Absolute, out otlpUri) || (otlpUri.Scheme != Uri.UriSchemeHttp && otlpUri.Scheme != Uri.UriSchemeHttps)))
            {
                await error.WriteLineAsync("--otlp must be an http(s) URL, such as http://127.0.0.1:4317.");
                return 1;
            }

            return await ServeAsync(new LocalHostOptions { Port = portValue, BindAddress = address, DataDirectory = parse.GetValue(dataDir), AutoApproveSeconds = auto, Rules = parsedRules, OtlpEndpoint = otlpUri, ConsoleTelemetry = parse.GetValue(telemetryConsole), Verbose = parse.GetValue(verbose) }, output, error, cancellationToken);
        });
        root.Add(serve);

        var user = new Option<string?>("--user") { Description = "The user whose password to reset (default: $USER)." };
        var reason = new Option<string?>("--reason") { Description = "Why (default: $REASON)." };
        var cliAutoApprove = new Option<bool>("--auto-approve") { Description = "With the built-in host: the emulator approves after a few seconds." };
        var api = new Option<string?>("--api") { Description = "A running host or Function App, e.g. http://127.0.0.1:7071 or https://func-approvals.azurewebsites.net." };
        var key = new Option<string?>("--key") { Description = "Function key for --api, if the deployment keeps one as an outer layer (sent as x-functions-key)." };
        var asPerson = new Option<string?>("--as") { Description = "With the built-in host: who asks (the token's person; default: the signed-in OS user at local)." };
        var token = new Option<string?>("--token") { Description = "With --api: your bearer token for the API (default: $APPROVALS_TOKEN). Unset for a deployed API, the CLI signs you in: the Azure CLI's account, else a device code." };
        var scope = new Option<string?>("--scope") { Description = $"With --api https://…: the API's scope to sign in for (default: ${EntraSignIn.ScopeVariable}, else api://${EntraSignIn.ClientIdVariable}/{EntraSignIn.ScopeName})." };
        var deadline = new Option<int?>("--deadline") { Description = "Seconds the approval may wait for a decision (server default 24 h)." };
        var caller = new CallerOptions(api, key, asPerson, token, dataDir, scope);
        var reset = new Command("reset-password", "Ask for approval to reset a user's password, wait, and report the outcome (the Indent quickstart).")
        {
            user, reason, cliAutoApprove, api, key, asPerson, token, scope, deadline, dataDir,
        };
        reset.SetAction(async (parse, cancellationToken) =>
        {
            var who = parse.GetValue(user) ?? Environment.GetEnvironmentVariable("USER");
            var why = parse.GetValue(reason) ?? Environment.GetEnvironmentVariable("REASON");
            if (string.IsNullOrWhiteSpace(who) || string.IsNullOrWhiteSpace(why))
            {
                await error.WriteLineAsync("Give --user and --reason (or set USER and REASON).");
                return ExitCodes.Usage;
            }

            var connection = await ConnectionAsync(parse, caller, parse.GetValue(cliAutoApprove), error);
            if (connection is null)
            {
                return ExitCodes.Usage;
            }

            return await ApprovalClient.RunAsync(
                new ApprovalClient.Options(who, why, connection.Api, connection.Key, parse.GetValue(deadline), connection.AutoApprove, connection.DataDirectory, connection.As, connection.Token,
                    UserFromEnvironment: parse.GetValue(user) is null),
                output, error, cancellationToken);
        });
        root.Add(reset);
        root.Add(AccessCommands.Access(caller, deadline, output, error));
        // An action whose command was written before the contract (reset-password, access) keeps that command as it was.
        foreach (var action in Core.Actions.ActionCatalog.All.Where(a => !a.TargetIsRequester && root.Subcommands.All(c => c.Name != a.Verb)))
        {
            var command = ActionCommands.For(action, caller, deadline, output, error);
            command.Add(scope);
            root.Add(command);
        }

        root.Add(IdentityCommands.Token(dataDir, output, error));
        root.Add(IdentityCommands.Users(dataDir, output, error));
        root.Add(VersionsCommand.Create(output, error));

        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>The options every API command shares: where the API is and who calls it.</summary>
    internal sealed record CallerOptions(Option<string?> Api, Option<string?> Key, Option<string?> As, Option<string?> Token, Option<string?> DataDirectory, Option<string?> Scope);

    /// <summary>Reads and checks <paramref name="options"/>: a built-in host (no --api) mints a token for --as; --api takes
    /// no --as or --auto-approve, and a token: the one given (--token, APPROVALS_TOKEN) wins; a host on this machine needs
    /// one; a remote API without one gets a sign-in with Microsoft Entra ID for --scope. Null, after saying why on
    /// <paramref name="error"/>, when they disagree.</summary>
    internal static async Task<ApprovalClient.Connection?> ConnectionAsync(ParseResult parse, CallerOptions options, bool autoApprove, TextWriter error)
    {
        var apiText = parse.GetValue(options.Api);
        Uri? apiUri = null;
        if (apiText is not null && (!Uri.TryCreate(apiText, UriKind.Absolute, out apiUri) || (apiUri.Scheme != Uri.UriSchemeHttp && apiUri.Scheme != Uri.UriSchemeHttps)))
        {
            await error.WriteLineAsync("--api must be an http(s) URL, such as http://127.0.0.1:7071.");
            return null;
        }

        if (apiUri is not null && autoApprove)
        {
            await error.WriteLineAsync("--auto-approve needs the built-in host; leave out --api, or set an auto-approve rule on the host you run.");
            return null;
        }

        var bearer = parse.GetValue(options.Token) ?? Environment.GetEnvironmentVariable(ApprovalClient.TokenVariable);
        ApiToken? apiToken = null;
        if (apiUri is not null && !string.IsNullOrWhiteSpace(bearer))
        {
            apiToken = ApiToken.Given(bearer, apiUri.IsLoopback ? ApiTokenKind.Local : ApiTokenKind.Given);
        }
        else if (apiUri is { IsLoopback: true })
        {
            await error.WriteLineAsync($"--api needs your bearer token: give --token or set {ApprovalClient.TokenVariable} (a host on this machine takes tokens from its own issuer: the token command prints one).");
            return null;
        }
        else if (apiUri is not null)
        {
            if (EntraSignIn.Scope(parse.GetValue(options.Scope)) is not { } scope)
            {
                await error.WriteLineAsync($"--api {apiUri.Host} signs you in with Microsoft Entra ID for the API's scope: give --scope api://<API client id>/{EntraSignIn.ScopeName}, or set {EntraSignIn.ScopeVariable} or {EntraSignIn.ClientIdVariable} (azd env get-value {EntraSignIn.ClientIdVariable}); or give your own token with --token or {ApprovalClient.TokenVariable}.");
                return null;
            }

            apiToken = ApiToken.SignIn(EntraSignIn.Credential(error), scope);
        }

        if (apiUri is not null && parse.GetValue(options.As) is not null)
        {
            await error.WriteLineAsync("--as needs the built-in host, which mints its own token; with --api, the token says who you are.");
            return null;
        }

        var person = parse.GetValue(options.As) ?? Identity.LocalIssuer.DefaultPerson();
        if (!IdentityCommands.IsEmail(person))
        {
            await error.WriteLineAsync("--as must be an email-like name, such as alice@local.");
            return null;
        }

        return new ApprovalClient.Connection(apiUri, parse.GetValue(options.Key), apiToken, parse.GetValue(options.DataDirectory), person, autoApprove);
    }

    static double? AutoApprove(ParseResult parse, Option<double?> option) =>
        parse.GetResult(option) is null ? null : parse.GetValue(option) ?? DefaultAutoApproveSeconds;

    static async Task<int> ServeAsync(LocalHostOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        RunningHost host;
        try
        {
            host = await LocalHost.StartAsync(options, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await error.WriteLineAsync("Could not start: " + StartupException.OneLine(e, options.Verbose));
            if (options.Verbose)
            {
                await error.WriteLineAsync(e.ToString());
            }

            return ExitCodes.Usage;
        }

        await using (host)
        {
            await output.WriteLineAsync($"Approvals local host on {host.BaseAddress}");
            await output.WriteLineAsync($"  API            {host.Api}  (POST password-resets, GET approvals/{{id}})");
            if (host.Emulated)
            {
                await output.WriteLineAsync($"  Approver inbox {host.Inbox}");
                await output.WriteLineAsync($"  Indent (local) {host.IndentApi}  — webhooks signed to {host.Api}webhooks/indent");
                if (host.GeneratedSecretsFile is not null)
                {
                    await output.WriteLineAsync($"  Credentials    generated local secrets (emulator token and webhook secret, petition seal key) are in {host.GeneratedSecretsFile} (owner-only)");
                }

                if (options.AutoApproveSeconds is { } seconds)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  Auto-approve   every petition after {seconds:0.#}s"));
                }

                foreach (var rule in options.Rules)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  Rule           {rule.Pattern} → {rule.Decision}{(rule.Decision == Emulator.DecisionRule.Manual ? "" : $" after {rule.AfterSeconds:0.#}s")}"));
                }
            }
            else
            {
                await output.WriteLineAsync("  Indent         the real Indent API at INDENT_BASE_URL (emulator and inbox off)");
            }

            await output.WriteLineAsync($"  Durable engine {host.EngineDescription}");
            await output.WriteLineAsync($"  Local data     {host.DataDirectory}");
            await output.WriteLineAsync("Press Ctrl+C to stop.");
            await output.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return ExitCodes.Done;
    }
}

/// <summary>Exit codes of <c>reset-password</c> and <c>access request</c> (documented in the README).</summary>
public static class ExitCodes
{
    public const int Done = 0;
    public const int Usage = 1;
    public const int Denied = 2;
    public const int Expired = 3;
    public const int Cancelled = 4;
    public const int Failed = 5;
    public const int Unreachable = 6;

    /// <summary>Refused before anything started: no approval, no petition (unknown or disabled user, a token the API does
    /// not accept or without the role, a key reused, already a member).</summary>
    public const int Refused = 7;
    public const int Interrupted = 130;

    /// <summary>The code for a start the API did not accept: bad input is a usage error; 503 (a secret or the directory
    /// cannot be read just now) is the API being unreachable in part; any other 4xx is a refusal before anything started.</summary>
    public static int ForRefusedStart(System.Net.HttpStatusCode status) => (int)status switch
    {
        400 or 413 or 415 or 422 => Usage,
        503 => Unreachable,
        >= 400 and < 500 => Refused,
        _ => Failed,
    };
}
