using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Tests.Support;
using Approvals.Core.Webhooks;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Approvals.Local.Tests.Emulator;

/// <summary>The emulator's outgoing webhooks, received by a loopback server and checked with our verifier.</summary>
public sealed class WebhookDeliveryTests
{
    static Petition NewPetition() => new()
    {
        Reason = "deploy hotfix",
        Resources = [new Resource { Kind = "action", Id = "reset-password:7", Labels = new Dictionary<string, string> { ["approvals.dev/instance"] = "x" } }],
    };

    static IndentWebhookVerifier Verifier => new(TimeProvider.System);

    [Fact]
    public async Task Transitions_DeliverSignedEvents_ThatOurVerifierAccepts()
    {
        // The receiver records every delivery (LoopbackServer.Requests) and accepts it.
        await using var receiver = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, "{\"status\":{}}"));
        var received = receiver.Requests;
        await using var indent = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"));
        await indent.StartAsync();

        var petition = indent.Emulator.Create(NewPetition(), "petra@acme.test");
        indent.Emulator.Claim(petition.Name!, new IndentEvent { EventType = IndentEventTypes.Approve, Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = "1h0m0s" } } }, "mary@acme.test");
        indent.Emulator.Claim(petition.Name!, new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = "done" }, "mary@acme.test");
        // Three deliveries: the request; the approval's approve and grant together, as Indent batches one transition; the revoke.
        await indent.EventuallyAsync(() => received.Count, n => n >= 3);

        var events = new List<IndentEvent>();
        foreach (var request in received)
        {
            var verdict = Verifier.Verify(Encoding.UTF8.GetBytes(request.Body), [request.Headers[IndentWebhookSignature.TimestampHeader]], [request.Headers[IndentWebhookSignature.SignatureHeader]], [TestHost.WebhookSecret]);
            Assert.True(verdict.IsValid, verdict.Describe());
            events.AddRange(JsonSerializer.Deserialize(request.Body, IndentJsonContext.Default.WebhookPayload)!.Events!);
        }

        Assert.Equal([IndentEventTypes.Request, IndentEventTypes.Approve, IndentEventTypes.Grant, IndentEventTypes.Revoke], events.OrderBy(e => e.Timestamp).ThenBy(e => e.EventType == IndentEventTypes.Grant).Select(e => e.EventType));
        Assert.All(events, e =>
        {
            Assert.Equal(petition.Name, e.PetitionName);
            Assert.Equal("x", e.Resources![0].Labels!["approvals.dev/instance"]);
            Assert.NotNull(e.Timestamp);
            Assert.NotNull(e.Actor);
        });
        Assert.Equal(4, events.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task FailingReceiver_RetriedWithBackoff_UntilAccepted_LogKeepsEveryAttempt()
    {
        var attempts = new ConcurrentQueue<DateTimeOffset>();
        await using var receiver = await LoopbackServer.StartAsync((ctx, req) =>
        {
            attempts.Enqueue(DateTimeOffset.UtcNow);
            return attempts.Count < 3 ? LoopbackServer.WriteJsonAsync(ctx, "{}", 503) : LoopbackServer.WriteJsonAsync(ctx, "{\"status\":{}}");
        });
        await using var indent = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"));
        await indent.StartAsync();

        indent.Emulator.Create(NewPetition(), "petra@acme.test");
        var delivery = await indent.EventuallyAsync(() => indent.Dispatcher.Deliveries.Single(), d => d.State != DeliveryState.Pending);

        Assert.Equal(DeliveryState.Delivered, delivery.State);
        Assert.Equal([503, 503, 200], delivery.Attempts.Select(a => a.StatusCode));
        var times = attempts.ToArray();
        Assert.True(times[2] - times[1] > times[1] - times[0] - TimeSpan.FromMilliseconds(20), "backoff grows");
    }

    [Fact]
    public async Task DeadReceiver_GivesUpAfterLimit_MarksFailed()
    {
        await using var receiver = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, "{}", 500));
        await using var indent = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"), configure: o => o.MaxDeliveryAttempts = 3);
        await indent.StartAsync();

        indent.Emulator.Create(NewPetition(), "petra@acme.test");
        var delivery = await indent.EventuallyAsync(() => indent.Dispatcher.Deliveries.Single(), d => d.State != DeliveryState.Pending);

        Assert.Equal(DeliveryState.Failed, delivery.State);
        Assert.Equal(3, delivery.Attempts.Count);
    }

    [Fact]
    public async Task Faults_DropAndDuplicateWebhooks()
    {
        // The receiver records every delivery (LoopbackServer.Requests) and accepts it.
        await using var receiver = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, "{\"status\":{}}"));
        var received = receiver.Requests;
        await using var indent = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"));
        await indent.StartAsync();

        indent.Faults.Set(new FaultSpec { DropWebhooks = 1 });
        indent.Emulator.Create(NewPetition(), "petra@acme.test");
        await indent.EventuallyAsync(() => indent.Dispatcher.Deliveries.Count(d => d.State == DeliveryState.Delivered), n => n == 1);
        indent.Faults.Set(new FaultSpec { DuplicateWebhooks = 1 });
        indent.Emulator.Create(NewPetition(), "petra@acme.test");
        await indent.EventuallyAsync(() => received.Count, n => n >= 2);
        await indent.EventuallyAsync(() => indent.Dispatcher.Deliveries.All(d => d.State != DeliveryState.Pending), done => done);

        Assert.Equal(2, received.Count);
        Assert.Equal(received.First().Body, received.Last().Body);
        Assert.Contains("dropped", indent.Dispatcher.Deliveries[0].Attempts[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_WithDataDirectory_KeepsPetitionsClaimsAndUndeliveredWebhooks()
    {
        var data = Path.Combine(Path.GetTempPath(), "approvals-tests", Guid.NewGuid().ToString("N"));
        var up = false;
        var received = new ConcurrentQueue<RecordedRequest>();
        await using var receiver = await LoopbackServer.StartAsync((ctx, req) =>
        {
            if (!up)
            {
                return LoopbackServer.WriteJsonAsync(ctx, "{}", 503);
            }

            received.Enqueue(req);
            return LoopbackServer.WriteJsonAsync(ctx, "{\"status\":{}}");
        });
        string name;
        await using (var first = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"), data, o => o.DeliveryBaseDelay = TimeSpan.FromMilliseconds(300)))
        {
            await first.StartAsync();
            name = first.Emulator.Create(NewPetition(), "petra@acme.test").Name!;
            first.Emulator.Claim(name, new IndentEvent { EventType = IndentEventTypes.Approve, Id = "c-1" }, "mary@acme.test");
            await first.EventuallyAsync(() => first.Dispatcher.Deliveries.Sum(d => d.Attempts.Count), n => n >= 3);
        }

        up = true;
        await using var second = new StandaloneEmulator(new Uri(receiver.BaseAddress, "hook"), data);
        var restored = second.Emulator.Get(name);
        Assert.Equal(IndentPhases.Granted, restored.Phase);
        Assert.Equal(3, restored.State!.EventHistory!.Count);
        Assert.Equal(2, second.Dispatcher.Deliveries.Count);
        // The same claim id after the restart is still recognised.
        second.Emulator.Claim(name, new IndentEvent { EventType = IndentEventTypes.Approve, Id = "c-1" }, "mary@acme.test");

        await second.StartAsync();
        await second.EventuallyAsync(() => second.Dispatcher.Deliveries.Count(d => d.State == DeliveryState.Delivered), n => n == 2);

        Assert.Equal(2, received.Count);
        Assert.Equal(2, received.Select(r => r.Body).Distinct().Count());
        Directory.Delete(data, recursive: true);
    }
}
