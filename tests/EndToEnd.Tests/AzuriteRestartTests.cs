using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>On the Azure Storage backend (Azurite, started by the test command): kill the host with SIGKILL while a
/// workflow waits, start it again, approve — the workflow completes and the reset ran exactly once.</summary>
public sealed class AzuriteRestartTests
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
        using var indent = second.IndentHttp();
        using var approve = await indent.PostAsync($"indent/v1/spaces/local/petitions/{petition}/claims", JsonContent.Create(new { claim = new { @event = "access/approve" } }));
        Assert.Equal(HttpStatusCode.OK, approve.StatusCode);

        var done = await WaitAsync(second, id, v => v.GetProperty("status").GetString() is "completed" or "failed" or "denied");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(1, Approvals.Local.Actions.FileUserDirectory.Read(data)["grace"].Resets);
    }
}
