using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Tests.Support;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Approvals.Core.Tests.Webhooks;

/// <summary>The webhook raises the decision without reading the instance first (the backend's client reads it and drops
/// an event for an instance that is not running). Where the Functions host is set to report that as an error, the
/// delivery is still acknowledged — a late or duplicate delivery is not a failure Indent should retry — while any other
/// failure to enqueue is not swallowed, so Indent delivers again.</summary>
public sealed class RaiseEventTests
{
    const string Secret = "whsec_raise_tests";
    static readonly string Instance = ApprovalIds.New(WorkflowLabels.ResetPasswordAction, "ada");

    static IndentWebhookEndpoint Endpoint()
    {
        var secrets = new ConfigurationSecretProvider(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [IndentOptions.TokenSetting] = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhQGIuYyJ9.x",
            [IndentWebhookEndpoint.SecretSetting] = Secret,
            [PetitionSeal.KeySetting] = "seal-key",
        }).Build());
        return new IndentWebhookEndpoint(new IndentWebhookVerifier(TimeProvider.System), secrets, new Mock<IndentClient>().Object, new SecretsReadiness(secrets), NullLogger<IndentWebhookEndpoint>.Instance);
    }

    static async Task<int> DeliverGrantAsync(DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        var payload = new WebhookPayload
        {
            Events =
            [
                new IndentEvent
                {
                    EventType = IndentEventTypes.Grant,
                    Id = "evt-1",
                    Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Petition] = "petition-1" } },
                    Resources = [new Resource { Kind = "user", Labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = Instance } }],
                },
            ],
        };
        return await SignedDelivery.DeliverAsync(Endpoint(), client, JsonSerializer.SerializeToUtf8Bytes(payload, IndentJsonContext.Default.WebhookPayload), Secret, DateTimeOffset.UtcNow, cancellationToken);
    }

    static Mock<DurableTaskClient> ClientThat(Exception? raiseFails)
    {
        var client = new Mock<DurableTaskClient>("test");
        var raise = client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()));
        if (raiseFails is null)
        {
            raise.Returns(Task.CompletedTask);
        }
        else
        {
            raise.ThrowsAsync(raiseFails);
        }

        return client;
    }

    [Fact]
    public async Task Grant_ForARunningApproval_RaisesTheDecisionWithoutReadingTheInstance()
    {
        var client = ClientThat(null);

        var status = await DeliverGrantAsync(client.Object);

        Assert.Equal(StatusCodes.Status200OK, status);
        client.Verify(c => c.RaiseEventAsync(Instance, ApprovalEvents.IndentDecision, It.Is<IndentDecision>(d => d.PetitionName == "petition-1" && d.EventType == IndentEventTypes.Grant), It.IsAny<CancellationToken>()), Times.Once);
        client.Verify(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.FailedPrecondition)]
    public async Task Grant_ForAnApprovalTheHostSaysIsNotRunning_Acknowledged(StatusCode code)
    {
        var status = await DeliverGrantAsync(ClientThat(new RpcException(new Status(code, "The orchestration instance with the provided instance id is not running."))).Object);

        Assert.Equal(StatusCodes.Status200OK, status);
    }

    [Fact]
    public async Task Grant_WhenTheBackendCannotEnqueue_FailsSoIndentDeliversAgain()
    {
        await Assert.ThrowsAsync<RpcException>(() => DeliverGrantAsync(ClientThat(new RpcException(new Status(StatusCode.Unavailable, "storage unreachable"))).Object));
    }

    [Fact]
    public async Task Grant_WhenIndentHangsUpWhileRaising_IsACancellationNotAFailure()
    {
        using var hungUp = new CancellationTokenSource();
        var client = new Mock<DurableTaskClient>("test");
        client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                await hungUp.CancelAsync();
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DeliverGrantAsync(client.Object, hungUp.Token));
    }
}
