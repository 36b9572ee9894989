using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>The quickstart in a terminal: the CLI as a child process; its lines and exit codes.</summary>
public sealed class CliTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ResetPassword_AutoApprove_BuiltInHost_PrintsSeedLines_Exit0()
    {
        var data = Repo.NewDataDirectory();
        // A home nothing has run in yet, as a newcomer's: no framework warning (key storage, …) comes before the seed's lines.
        var home = Directory.CreateDirectory(Path.Combine(data + "-home")).FullName;

        var result = await Cli.RunAsync(TestSettings.Environment(data, new() { ["HOME"] = home }), Timeout, "reset-password", "--user", "123", "--reason", "to recover account", "--auto-approve");

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var lines = result.Lines;
        Assert.Equal("asking to reset the password of sam@local (user 123)", lines[0]);
        Assert.Matches(@"^⏵ Requested approval #local/[0-9a-f-]{36}$", lines[1]);
        Assert.Contains(lines, l => l.StartsWith("↳ An approver can decide at http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("↳ Waiting for approval... (2s elapsed)", lines);
        var granted = Array.IndexOf(lines, "✅ Granted");
        Assert.True(granted > 0);
        Assert.Equal("done: password reset user:123", lines[granted + 1]);
        Assert.Equal("", result.Output.Split('\n')[Array.IndexOf(result.Output.Split('\n'), "✅ Granted") + 1]);
        var shown = Assert.Single(lines, l => l.StartsWith("temporary password for user:123: ", StringComparison.Ordinal))["temporary password for user:123: ".Length..];
        Assert.True(new Local.Actions.FileUserDirectory(data, TimeProvider.System).Verify("123", shown), "the printed password is the user's password");
        Assert.Equal(2, result.Output.Split(shown).Length); // printed exactly once
        Assert.Empty(Directory.GetFiles(Path.Combine(data, "secrets"))); // collected, so destroyed
    }

    [Fact]
    public async Task Access_ListShowsProduction_RequestAutoApprove_PrintsSeedLines_EndsOnTime_Exit0()
    {
        var data = Repo.NewDataDirectory();
        var env = TestSettings.Environment(data);

        var list = await Cli.RunAsync(env, Timeout, "access", "list");
        var result = await Cli.RunAsync(env, TimeSpan.FromSeconds(150), "access", "request", "--resource", "Production", "--reason", "to debug production", "--duration", "60", "--auto-approve");

        Assert.True(list.ExitCode == 0, list.Output + list.Error);
        Assert.StartsWith("Production", Assert.Single(list.Lines, l => l.Contains("production (environment)", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var lines = result.Lines;
        Assert.Equal("asking for access to Production (production) for 1 min", lines[0]);
        Assert.Matches(@"^⏵ Requested approval #local/[0-9a-f-]{36}$", lines[1]);
        Assert.Contains("↳ Waiting for approval... (2s elapsed)", lines);
        var granted = Array.IndexOf(lines, "✅ Granted");
        Assert.True(granted > 0, result.Output);
        Assert.Matches(@"^done: access to Production until \d\d:\d\d$", lines[granted + 1]);
        Assert.Equal("access ended: the granted time is over", lines[^1]);
        // From the local groups' own log: added once, removed once, 60 s after Indent granted — so a little under 60 s
        // after the add, which follows the grant by the time the workflow took to see it (the time box is Indent's).
        var changes = Local.Actions.FileGroups.Log(data);
        Assert.Equal([Local.Actions.FileGroups.Added, Local.Actions.FileGroups.Removed], changes.Select(c => c.Change));
        Assert.True(changes[1].At - changes[0].At >= TimeSpan.FromSeconds(55) && changes[1].At - changes[0].At <= TimeSpan.FromSeconds(61), $"{changes[1].At - changes[0].At}");
    }

    [Fact]
    public async Task ResetPassword_ApiWithoutToken_UsageError_NamesTheVariable()
    {
        var result = await Cli.RunAsync(TestSettings.Environment(Repo.NewDataDirectory()), Timeout, "reset-password", "--user", "123", "--reason", "x", "--api", "http://127.0.0.1:9");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("APPROVALS_TOKEN", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_ThenUsersAdd_RunningHostAcceptsBoth()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var env = TestSettings.Environment(host.DataDirectory);

        var badRole = await Cli.RunAsync(env, Timeout, "token", "--as", "ann@local", "--role", "Approvals.Everything");
        var token = await Cli.RunAsync(env, Timeout, "token", "--as", "ann@local", "--role", "Approvals.Request", "--minutes", "5");
        var added = await Cli.RunAsync(env, Timeout, "users", "add", "zed", "--name", "Zed Zimmer", "--email", "zed@corp.example");
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token.Output.Trim());
        using var started = await http.PostAsync("api/password-resets", new StringContent("""{"userId":"zed","reason":"new phone"}""", Encoding.UTF8, "application/json"));
        using var unknown = await http.PostAsync("api/password-resets", new StringContent("""{"userId":"nobody-here","reason":"x"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(1, badRole.ExitCode);
        Assert.Contains("--role", badRole.Error, StringComparison.Ordinal);
        Assert.Equal(0, token.ExitCode);
        Assert.Equal(3, token.Output.Trim().Split('.').Length);
        Assert.Equal(0, added.ExitCode);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ResetPassword_UserAndReasonFromEnvironment()
    {
        var data = Repo.NewDataDirectory();
        var env = TestSettings.Environment(data, new() { ["USER"] = "alice", ["REASON"] = "forgot it" });

        var result = await Cli.RunAsync(env, Timeout, "reset-password", "--auto-approve");

        Assert.Equal(0, result.ExitCode);
        // The seed's default target is kept, and said before anyone is asked.
        Assert.StartsWith("asking to reset the password of alice@local (user alice, from $USER", result.Lines[0], StringComparison.Ordinal);
        Assert.Contains("done: password reset user:alice", result.Lines);
    }

    [Fact]
    public async Task ResetPassword_NoReason_UsageError_Exit1()
    {
        var env = TestSettings.Environment(Repo.NewDataDirectory(), new() { ["REASON"] = "" });

        var result = await Cli.RunAsync(env, Timeout, "reset-password", "--user", "123");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--reason", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPassword_BadUserAgainstRunningHost_Refused_Exit1()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());

        var result = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "../etc", "--reason", "x", "--api", host.BaseAddress.ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("userId", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPassword_DeniedByRule_PrintsDenied_Exit2()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        using var indent = host.IndentHttp();
        using var rule = await indent.PutAsync("indent/_admin/rules", new StringContent("""{"rules":[{"pattern":"action:reset-password:*","decision":"deny","afterSeconds":1}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, rule.StatusCode);

        var result = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "123", "--reason", "to recover account", "--api", host.BaseAddress.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(result.Lines, l => l.StartsWith("❌ Denied", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Lines, l => l.StartsWith("done:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResetPassword_Api_FourEyesRefusal_PrintsIdAndStatusUrlFirst_ThenTheApisReason_Exit2()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var env = host.CliEnvironment("alice@local");
        var cli = Cli.RunAsync(env, Timeout, "reset-password", "--user", "123", "--reason", "to recover account", "--api", host.BaseAddress.ToString());

        // Sam, whose password it is, approves in Indent (an Indent user token makes the claim his).
        using var indent = host.IndentHttp();
        var petition = await FirstPetitionAsync(indent);
        using var minted = await indent.PostAsync("indent/_admin/tokens", new StringContent("""{"email":"sam@local"}""", Encoding.UTF8, "application/json"));
        using var sam = host.IndentHttp();
        sam.DefaultRequestHeaders.Authorization = new("Bearer", JsonDocument.Parse(await minted.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString());
        using var claim = await sam.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", new StringContent("""{"claim":{"event":"access/approve","reason":"me"}}""", Encoding.UTF8, "application/json"));
        Assert.True(claim.IsSuccessStatusCode, await claim.Content.ReadAsStringAsync());
        var result = await cli;

        Assert.True(result.ExitCode == 2, result.Output + result.Error);
        var first = System.Text.RegularExpressions.Regex.Match(result.Lines[0], @"^approval (\S+)  (http\S+)$");
        Assert.True(first.Success, result.Output);
        using var view = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri(first.Groups[2].Value)));
        Assert.Equal(first.Groups[1].Value, view.RootElement.GetProperty("id").GetString());
        Assert.Equal("denied", view.RootElement.GetProperty("status").GetString());
        var denied = Array.IndexOf(result.Lines, "❌ Denied");
        Assert.True(denied > 0, result.Output);
        // The reason is the API's: the grant was refused because sam is the target, not "denied by sam".
        Assert.Equal("↳ " + view.RootElement.GetProperty("detail").GetString(), result.Lines[denied + 1]);
        Assert.Contains("sam@local", result.Lines[denied + 1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResetPassword_RefusedBeforeAnythingStarted_UnknownDisabledBadToken_Exit7_NoPetition()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var api = host.BaseAddress.ToString();

        var unknown = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "nobody-here", "--reason", "x", "--api", api);
        var disabled = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "dana", "--reason", "x", "--api", api);
        var badToken = await Cli.RunAsync(TestSettings.Environment(host.DataDirectory, new() { ["APPROVALS_TOKEN"] = "not-a-token" }), Timeout, "reset-password", "--user", "123", "--reason", "x", "--api", api);

        foreach (var (name, result) in new[] { ("unknown", unknown), ("disabled", disabled), ("bad token", badToken) })
        {
            Assert.True(result.ExitCode == 7, $"{name}: exit {result.ExitCode}\n{result.Output}{result.Error}");
            Assert.DoesNotContain(result.Lines, l => l.StartsWith("approval ", StringComparison.Ordinal));
        }

        using var indent = host.IndentHttp();
        using var petitions = JsonDocument.Parse(await indent.GetStringAsync("indent/v1/spaces/local/petitions"));
        Assert.Equal(0, petitions.RootElement.TryGetProperty("petitions", out var all) ? all.GetArrayLength() : 0);
    }

    /// <summary>The first petition the emulator holds, waited for (bounded).</summary>
    static async Task<string> FirstPetitionAsync(HttpClient indent)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var list = JsonDocument.Parse(await indent.GetStringAsync("indent/v1/spaces/local/petitions", bound.Token));
            if (list.RootElement.TryGetProperty("petitions", out var all) && all.EnumerateArray().Select(p => p.GetProperty("name").GetString()).FirstOrDefault() is { } name)
            {
                return name;
            }

            await Task.Delay(50, bound.Token);
        }
    }

    [Fact]
    public async Task ResetPassword_NoDecisionBeforeDeadline_Expired_Exit3()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());

        var result = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "123", "--reason", "x", "--deadline", "5", "--api", host.BaseAddress.ToString());

        Assert.Equal(3, result.ExitCode);
        var expired = Array.IndexOf(result.Lines, "⌛ Expired");
        Assert.True(expired > 0, result.Output);
        Assert.StartsWith("↳ ", result.Lines[expired + 1], StringComparison.Ordinal); // the API's detail
    }

    [Fact]
    public async Task ResetPassword_CancelledWhileWaiting_Exit4()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var cli = Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "123", "--reason", "x", "--api", host.BaseAddress.ToString());

        using var indent = host.IndentHttp();
        string? instance = null;
        for (var i = 0; i < 200 && instance is null; i++)
        {
            await Task.Delay(100);
            using var list = JsonDocument.Parse(await indent.GetStringAsync("indent/v1/spaces/local/petitions"));
            instance = list.RootElement.GetProperty("petitions").EnumerateArray()
                .Select(p => p.GetProperty("meta").GetProperty("labels").TryGetProperty("approvals.dev/instance", out var v) ? v.GetString() : null)
                .FirstOrDefault(v => v is not null);
        }

        Assert.NotNull(instance);
        using var cancel = await host.Http.PostAsync($"api/approvals/{instance}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var result = await cli;

        Assert.Equal(4, result.ExitCode);
        Assert.Contains("🚫 Cancelled", result.Lines);
    }

    [Fact]
    public async Task Serve_RuleAtStart_DeniesByPattern_BadRuleRefused()
    {
        var bad = await Cli.RunAsync(TestSettings.Environment(Repo.NewDataDirectory()), Timeout, "serve", "--port", "0", "--rule", "action:*=perhaps");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--rule", bad.Error, StringComparison.Ordinal);

        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory(), null, null, "--rule", "action:reset-password:*=deny:0.5");
        Assert.Contains("Rule           action:reset-password:* → deny", host.Output, StringComparison.Ordinal);
        var result = await Cli.RunAsync(host.CliEnvironment(), Timeout, "reset-password", "--user", "123", "--reason", "x", "--api", host.BaseAddress.ToString());

        Assert.Equal(2, result.ExitCode);
    }
}
