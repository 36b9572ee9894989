using System.Diagnostics;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Tests.Support;
using Approvals.EndToEnd.Tests.Support;
using Approvals.Local.Emulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Approvals.EndToEnd.Tests;

/// <summary>Every webhook the emulator sends verifies with Indent's own <c>@indent/webhook</c> verify(), run in node.</summary>
public sealed class IndentVerifierCompatibilityTests
{
    [Fact]
    public async Task EmulatorWebhooks_VerifyWithIndentsOwnLibrary()
    {
        // The receiver records every delivery (LoopbackServer.Requests) and accepts it.
        await using var receiver = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, "{\"status\":{}}"));
        var received = receiver.Requests;
        var options = new EmulatorOptions { Space = "acme" };
        options.WebhookSecrets.Add(TestSettings.WebhookSecret);
        options.WebhookUrls.Add(new Uri(receiver.BaseAddress, "hook"));
        await using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        using var emulator = new IndentEmulator(options, TimeProvider.System, NullLogger<IndentEmulator>.Instance);
        using var dispatcher = new WebhookDispatcher(emulator, services.GetRequiredService<IHttpClientFactory>(), TimeProvider.System, new FaultInjector(), NullLogger<WebhookDispatcher>.Instance);
        await dispatcher.StartAsync(CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            var p = emulator.Create(new Petition { Reason = $"reason {i} — ünïcödé ✅ \"quoted\"", Resources = [new Resource { Kind = "action", Id = $"reset-password:{i}" }] }, "petra@acme.test");
            emulator.Claim(p.Name!, new IndentEvent { EventType = i % 2 == 0 ? IndentEventTypes.Approve : IndentEventTypes.Deny }, "mary@acme.test");
        }

        for (var i = 0; i < 100 && received.Count < 10; i++)
        {
            await Task.Delay(50);
        }

        await dispatcher.StopAsync(CancellationToken.None);
        var deliveries = received.Select(r => new { body = r.Body, timestamp = r.Headers["X-Indent-Timestamp"], signature = r.Headers["X-Indent-Signature"] }).ToList();
        Assert.Equal(10, deliveries.Count);
        var file = Path.Combine(Path.GetTempPath(), $"deliveries-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(deliveries));
        var script = Path.Combine(Repo.Root, "tests", "node", "verify-with-indent.js");

        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(Repo.Root, "tests", "node") };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(file);
        info.Environment["WEBHOOK_SECRET"] = TestSettings.WebhookSecret;
        using var node = Process.Start(info)!;
        var stdout = await node.StandardOutput.ReadToEndAsync();
        var stderr = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();

        Assert.True(node.ExitCode == 0, stdout + stderr);
        Assert.Equal("verified 10 of 10; tampered copies rejected 10 of 10", stdout.Trim());
    }
}
