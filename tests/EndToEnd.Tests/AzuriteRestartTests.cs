using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests;

/// <summary>On the Azure Storage backend (Azurite, started by the test command): kill the host with SIGKILL while a
/// workflow waits, start it again, approve — the workflow completes and the reset ran exactly once.</summary>
public sealed class AzuriteRestartTests(ITestOutputHelper output)
{
    internal static void RequireAzurite()
    {
        using var probe = new TcpClient();
        try
        {
            probe.Connect("127.0.0.1", 10001);
        }
        catch (SocketException)
        {
            throw new InvalidOperationException("Azurite is not listening on 127.0.0.1:10000-10002; ./test.sh starts it (tests/node).");
        }
    }

    static async Task<JsonElement> ViewAsync(HostProcess host, string id)
    {
        using var doc = JsonDocument.Parse(await host.Http.GetStringAsync($"api/approvals/{id}"));
        return doc.RootElement.Clone();
    }

    static async Task<JsonElement> WaitAsync(HostProcess host, string id, Func<JsonElement, bool> done, int seconds = 120)
    {
        var view = await ViewAsync(host, id);
        for (var i = 0; i < seconds * 10 && !done(view); i++)
        {
            await Task.Delay(100);
            view = await ViewAsync(host, id);
        }

        Assert.True(done(view), view + "\n--- host output ---\n" + host.Output);
        return view;
    }

    [Fact]
    public async Task KillWhileWaiting_Restart_Approve_CompletesWithOneReset()
    {
        RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "e2e" + Guid.NewGuid().ToString("N")[..12],
        };
        string id, petition;
        await using (var first = await HostProcess.StartAsync(data, env, port))
        {
            Assert.Contains("Azure Storage", first.Output, StringComparison.Ordinal);
            first.Know("grace");
            using var started = await first.Http.PostAsJsonAsync("api/password-resets", new { userId = "grace", reason = "survives a crash" });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var waiting = await WaitAsync(first, id, v => v.GetProperty("status").GetString() == "awaiting_approval" && v.TryGetProperty("petition", out var p) && p.ValueKind == JsonValueKind.String);
            petition = waiting.GetProperty("petition").GetString()!;
            first.Kill();
        }

        await using var second = await HostProcess.StartAsync(data, env, port);
        Assert.Equal("awaiting_approval", (await ViewAsync(second, id)).GetProperty("status").GetString());
        using var indent = await second.IndentHttpAsAsync("bob@local"); // a reviewer of the directory, as four eyes requires
        using var approve = await indent.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", JsonContent.Create(new { claim = new { @event = "access/approve" } }));
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);

        var done = await WaitAsync(second, id, v => v.GetProperty("status").GetString() is "completed" or "failed" or "denied");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(1, Approvals.Local.Actions.FileUserDirectory.Read(data)["grace"].Resets);
    }

    [Fact]
    public async Task KillWhileAccessActive_RestartAfterExpiry_MembershipRemovedWithinSeconds_Once()
    {
        RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "e2e" + Guid.NewGuid().ToString("N")[..12],
            ["APPROVALS_ACCESS_MIN_SECONDS"] = "1",
        };
        string id;
        DateTime activeUntil;
        await using (var first = await HostProcess.StartAsync(data, env, port))
        {
            using var started = await first.Http.PostAsJsonAsync("api/access-requests", new { resource = "Production", reason = "to debug production", durationSeconds = 4 });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var waiting = await WaitAsync(first, id, v => v.TryGetProperty("petition", out var p) && p.ValueKind == JsonValueKind.String);
            using var indent = await first.IndentHttpAsAsync("bob@local");
            using var approve = await indent.PostAsync($"indent/v1/spaces/local/petitions/{waiting.GetProperty("petition").GetString()}/claims", JsonContent.Create(new { claim = new { @event = "access/approve" } }));
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
            var active = await WaitAsync(first, id, v => v.GetProperty("status").GetString() == "active");
            activeUntil = active.GetProperty("access").GetProperty("activeUntil").GetDateTime();
            first.Kill();
        }

        // Down until the grant has run out: nothing is running that could remove the membership.
        var downUntil = DateTime.SpecifyKind(activeUntil, DateTimeKind.Utc).AddSeconds(2) - DateTime.UtcNow;
        if (downUntil > TimeSpan.Zero)
        {
            await Task.Delay(downUntil); // a computed point in time (the grant's end), not a guess
        }

        var stillMember = Approvals.Local.Actions.FileGroups.Log(data).Count(c => c.Change == Approvals.Local.Actions.FileGroups.Added);
        var restarting = DateTimeOffset.UtcNow;
        await using var second = await HostProcess.StartAsync(data, env, port);
        var done = await WaitAsync(second, id, v => v.GetProperty("status").GetString() is "completed" or "failed", seconds: 60);

        Assert.Equal(1, stillMember);
        Assert.True(done.GetProperty("status").GetString() == "completed", "ended " + done.GetProperty("status").GetString() + ": " + done.GetProperty("detail").GetString());
        Assert.Contains("the granted time is over", done.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var changes = Approvals.Local.Actions.FileGroups.Log(data);
        Assert.Equal([Approvals.Local.Actions.FileGroups.Added, Approvals.Local.Actions.FileGroups.Removed], changes.Select(c => c.Change));
        var late = changes[1].At - restarting;
        output.WriteLine($"membership removed {late.TotalSeconds:0.0} s after the restart began (the grant ended {(restarting - new DateTimeOffset(DateTime.SpecifyKind(activeUntil, DateTimeKind.Utc))).TotalSeconds:0.0} s before it)");
        // Usually 2-3 s (the restarted host takes its partition back at once); when the killed host's table lease must
        // run out first, up to its 30 s lease interval (measured once: 24.6 s). Never the timer's own hours.
        Assert.True(late < TimeSpan.FromSeconds(45), $"removed {late.TotalSeconds:0.0} s after the restart began");
    }
}
