using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Api;

/// <summary>The public HTTP contract: validation, idempotency, status codes, the webhook endpoint's refusals.</summary>
public sealed class ApiContractTests : IAsyncLifetime
{
    TestHost host = null!;

    public async Task InitializeAsync() => host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await host.DisposeAsync();

    async Task<int> InstancesAsync()
    {
        var count = 0;
        await foreach (var _ in host.Durable.GetAllInstancesAsync())
        {
            count++;
        }

        return count;
    }

    public static TheoryData<string, string?> BadBodies => new()
    {
        { "{}", "application/json" },
        { "{\"userId\":\"123\"}", "application/json" },
        { "{\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"\",\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":123,\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":[\"x\"]}", "application/json" },
        { "{\"userId\":\"../../etc/passwd\",\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"a b\",\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"" + new string('a', 65) + "\",\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"" + new string('r', 501) + "\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"line\\u0000break\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"bidi\\u202Eoverride\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"x\",\"admin\":true}", "application/json" },
        { "{\"UserId\":\"123\",\"reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"123\",\"Reason\":\"x\"}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"x\",\"deadlineSeconds\":1}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"x\",\"deadlineSeconds\":99999999}", "application/json" },
        { "{\"userId\":\"123\",\"reason\":\"x\",\"deadlineSeconds\":\"60\"}", "application/json" },
        { "{\"userId\":\"123\",", "application/json" },
        { "[1,2,3]", "application/json" },
        { "null", "application/json" },
        { "", "application/json" },
        { "userId=123&reason=x", "application/x-www-form-urlencoded" },
        { "{\"userId\":\"123\",\"reason\":\"x\"}", "text/plain" },
        { "{\"userId\":\"123\",\"reason\":\"x\"}", null },
        { "{\"userId\":\"123\",\"reason\":\"" + new string('r', 5000) + "\"}", "application/json" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task StartPasswordReset_BadInput_4xxProblemJson_NothingStarted(string body, string? contentType)
    {
        var before = await InstancesAsync();
        var petitions = host.Emulator.All().Count;
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = new(contentType);
        }

        using var response = await host.Http.PostAsync("api/password-resets", content);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)response.StatusCode, problem.RootElement.GetProperty("status").GetInt32());
        // Errors speak of the JSON the caller sent, never of the .NET types it is bound to.
        Assert.DoesNotMatch(@"System\.|Approvals\.|\.NET|`1|Nullable", problem.RootElement.GetRawText());
        // A start is scheduled before its 202 is written, so once a 4xx is answered nothing can still be starting.
        Assert.Equal(before, await InstancesAsync());
        Assert.Equal(petitions, host.Emulator.All().Count);
    }

    [Theory]
    [InlineData("{\"UserId\":\"123\",\"reason\":\"x\"}", "\"UserId\"", "\"userId\"")]
    [InlineData("{\"userId\":\"123\",\"reason\":\"x\",\"deadlineSeconds\":\"60\"}", "\"deadlineSeconds\"", "whole number")]
    [InlineData("{\"userId\":123,\"reason\":\"x\"}", "\"userId\"", "string")]
    public async Task StartPasswordReset_FieldWrongCaseOrKind_400NamesTheJsonField(string body, string field, string hint)
    {
        using var response = await host.Http.PostAsync("api/password-resets", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        Assert.Contains(field, detail, StringComparison.Ordinal);
        Assert.Contains(hint, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartPasswordReset_ValidationErrors_NameTheFields()
    {
        using var response = await host.Http.PostAsync("api/password-resets", new StringContent("{\"userId\":\"a b\",\"reason\":\"\"}", Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"userId\"", text, StringComparison.Ordinal);
        Assert.Contains("\"reason\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartPasswordReset_InstanceIdReadsWell()
    {
        var id = await host.StartResetAsync("alice@acme.test");

        Assert.Matches("^reset-password-alice@acme\\.test-[0-9a-f]{16}$", id);
    }

    [Fact]
    public async Task IdempotencyKey_SameBody_SameInstance_DifferentBody_Conflict()
    {
        var key = Guid.NewGuid().ToString();
        var first = await host.StartResetAsync("bob", "locked out", idempotencyKey: key);
        var second = await host.StartResetAsync("bob", "locked out", idempotencyKey: key);
        using var conflict = await host.PostResetAsync("bob", "another reason", idempotencyKey: key);
        await host.WaitForPetitionAsync(first);

        Assert.Equal(first, second);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Single(host.Emulator.All(), p => p.Meta?.Labels is { } l && l.TryGetValue(WorkflowLabels.Instance, out var v) && v == first);
    }

    [Fact]
    public async Task IdempotencyKey_ConcurrentSameRequests_OneInstance()
    {
        var key = Guid.NewGuid().ToString();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => host.PostResetAsync("carol", "locked out", idempotencyKey: key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());
    }

    [Theory]
    [InlineData("api/approvals/nope")]
    [InlineData("api/approvals/reset-password-123-0123456789abcdef")]
    [InlineData("api/approvals/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("api/approvals/reset-password-123-0123456789abcdef/history")]
    public async Task Status_UnknownOrMalformedId_404ProblemJson(string path)
    {
        using var response = await host.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancel_UnknownId_404_BadBody_400()
    {
        using var unknown = await host.Http.PostAsync("api/approvals/reset-password-123-0123456789abcdef/cancel", null);
        var id = await host.StartResetAsync("dave");
        using var bad = await host.Http.PostAsync($"api/approvals/{id}/cancel", new StringContent("{\"why\":1}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.NotEqual(ApprovalStatuses.Cancelled, (await host.ViewAsync(id)).Status);
    }

    [Fact]
    public async Task Webhook_Unsigned_WrongSecret_Stale_Rejected401_IndentShape()
    {
        var grant = new IndentEvent { EventType = IndentEventTypes.Grant, Meta = new ObjectMeta { Labels = new Dictionary<string, string> { ["petition"] = "x" } } };
        using var unsigned = await host.SendWebhookAsync(grant, secret: null);
        using var wrong = await host.SendWebhookAsync(grant, secret: "not-the-secret");
        using var stale = await host.SendWebhookAsync(grant, at: DateTimeOffset.UtcNow.AddMinutes(-6));
        using var future = await host.SendWebhookAsync(grant, at: DateTimeOffset.UtcNow.AddMinutes(6));

        foreach (var response in new[] { unsigned, wrong, stale, future })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("\"status\":{\"code\":16", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"events\":\"x\"}")]
    [InlineData("{}")]
    [InlineData("[]")]
    public async Task Webhook_SignedButMalformed_400(string body)
    {
        using var response = await host.SendRawWebhookAsync(Encoding.UTF8.GetBytes(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"code\":3", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_UnknownPetitionAndRequestEvents_AcknowledgedWith200()
    {
        using var unknown = await host.SendWebhookAsync(new IndentEvent { EventType = IndentEventTypes.Grant, Meta = new ObjectMeta { Labels = new Dictionary<string, string> { ["petition"] = "no-such-petition" } } });
        using var request = await host.SendWebhookAsync(new IndentEvent { EventType = IndentEventTypes.Request });
        using var pull = await host.SendRawWebhookAsync(Encoding.UTF8.GetBytes("{\"kinds\":[\"user\"]}"));

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal("{\"status\":{}}", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
    }

    [Fact]
    public async Task Webhook_Oversized_413()
    {
        using var response = await host.SendRawWebhookAsync(new byte[(1024 * 1024) + 1]);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
