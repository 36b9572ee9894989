using Microsoft.Extensions.Configuration;
using System.Net;
using System.Text.Json;
using Approvals.Core.Indent;
using Approvals.Core.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Core.Tests.Indent;

public sealed class IndentClientTests
{
    const string PetitionJson = """
        {"name":"pet-1","spaceName":"acmecorp","reason":"to recover account","futureField":{"x":1},
         "resources":[{"kind":"action","id":"reset-password:123","labels":{"a":"b"}}],
         "meta":{"labels":{"petition":"pet-1"},"createTime":"2026-11-28T10:00:00Z"},
         "state":{"status":{"phase":"open"},"eventHistory":[{"event":"access/request","id":"e1","timestamp":"2026-11-28T10:00:00Z"}]}}
        """;

    [Fact]
    public async Task CreatePetitionAsync_PostsEnvelopeWithBearerToken_ReturnsServerPetition()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, PetitionJson));
        await using var services = IndentClientFactory.Build(server.BaseAddress);
        var client = services.GetRequiredService<IndentClient>();

        var petition = await client.CreatePetitionAsync(new Petition
        {
            Reason = "to recover account",
            Resources = [new Resource { Kind = "action", Id = "reset-password:123" }],
        });

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/spaces/acmecorp/petitions", request.PathAndQuery);
        Assert.Equal("Bearer " + IndentClientFactory.Token, request.Headers["Authorization"]);
        using var body = JsonDocument.Parse(request.Body);
        var sent = body.RootElement.GetProperty("petition");
        Assert.Equal("to recover account", sent.GetProperty("reason").GetString());
        Assert.Equal("reset-password:123", sent.GetProperty("resources")[0].GetProperty("id").GetString());
        Assert.False(sent.TryGetProperty("name", out _), "absent fields are omitted");
        Assert.Equal(32, sent.GetProperty("meta").GetProperty("labels").GetProperty(IndentLabels.RequestId).GetString()!.Length);
        Assert.Equal("pet-1", petition.Name);
        Assert.Equal(IndentPhases.Open, petition.Phase);
        Assert.Equal("b", petition.Resources![0].Labels!["a"]);
        Assert.True(petition.Extra!.ContainsKey("futureField"), "unknown fields are tolerated and kept");
        Assert.Equal(IndentEventTypes.Request, petition.State!.EventHistory![0].EventType);
    }

    [Fact]
    public async Task CreatePetitionAsync_ResponseLostThenRetried_FindsExistingInsteadOfCreatingTwice()
    {
        var created = 0;
        string? requestId = null;
        await using var server = await LoopbackServer.StartAsync(async (ctx, req) =>
        {
            if (req.Method == "POST")
            {
                created++;
                requestId = JsonDocument.Parse(req.Body).RootElement.GetProperty("petition").GetProperty("meta").GetProperty("labels").GetProperty(IndentLabels.RequestId).GetString();
                // The petition was created, but the caller sees a gateway error.
                await LoopbackServer.WriteJsonAsync(ctx, """{"status":{"code":14,"message":"upstream reset"}}""", 502);
                return;
            }

            Assert.Contains(Uri.EscapeDataString($"{IndentLabels.RequestId}={requestId}"), req.PathAndQuery, StringComparison.Ordinal);
            await LoopbackServer.WriteJsonAsync(ctx, $$"""{"petitions":[{{PetitionJson}}]}""");
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var petition = await services.GetRequiredService<IndentClient>().CreatePetitionAsync(new Petition { Reason = "r" });

        Assert.Equal("pet-1", petition.Name);
        Assert.Equal(1, created);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task ListPetitionsAsync_FollowsPageTokens_WithLabelSelector()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, req) =>
        {
            var token = ctx.Request.Query["pageToken"].ToString();
            var json = token switch
            {
                "" => """{"petitions":[{"name":"a"},{"name":"b"}],"nextPageToken":"p2"}""",
                "p2" => """{"petitions":[{"name":"c"}],"nextPageToken":"p3"}""",
                _ => """{"petitions":[{"name":"d"}],"nextPageToken":""}""",
            };
            return LoopbackServer.WriteJsonAsync(ctx, json);
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var names = new List<string?>();
        await foreach (var p in services.GetRequiredService<IndentClient>().ListPetitionsAsync("team=ops,env=prod", pageSize: 2))
        {
            names.Add(p.Name);
        }

        Assert.Equal(["a", "b", "c", "d"], names);
        var paths = server.Requests.Select(r => r.PathAndQuery).ToList();
        Assert.Equal("/v1/spaces/acmecorp/petitions?labelSelector=team%3Dops%2Cenv%3Dprod&pageSize=2", paths[0]);
        Assert.EndsWith("&pageToken=p2", paths[1], StringComparison.Ordinal);
        Assert.EndsWith("&pageToken=p3", paths[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApproveAsync_SendsApproveClaimWithGoDuration()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, req) => LoopbackServer.WriteJsonAsync(ctx, """{"event":"access/approve","id":"c1"}"""));
        await using var services = IndentClientFactory.Build(server.BaseAddress);
        var client = services.GetRequiredService<IndentClient>();

        await client.ApproveAsync("pet 1", TimeSpan.FromHours(3), "looks fine");
        await client.DenyAsync("pet-2", "no");
        await client.RevokeAsync("pet-3");

        var requests = server.Requests.ToList();
        Assert.Equal("/v1/spaces/acmecorp/petitions/pet%201/claims", requests[0].PathAndQuery);
        var approve = JsonDocument.Parse(requests[0].Body).RootElement.GetProperty("claim");
        Assert.Equal("access/approve", approve.GetProperty("event").GetString());
        Assert.Equal("3h0m0s", approve.GetProperty("meta").GetProperty("labels").GetProperty(IndentLabels.Duration).GetString());
        Assert.False(string.IsNullOrEmpty(approve.GetProperty("id").GetString()), "claims carry an id so a retry is recognisable");
        Assert.Equal("access/deny", JsonDocument.Parse(requests[1].Body).RootElement.GetProperty("claim").GetProperty("event").GetString());
        Assert.Equal("access/revoke", JsonDocument.Parse(requests[2].Body).RootElement.GetProperty("claim").GetProperty("event").GetString());
    }

    [Fact]
    public async Task Resources_ListRequestableGetAndBulkUpdate_UseDocumentedPaths()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, req) => req.PathAndQuery switch
        {
            var p when p.StartsWith("/v1/spaces/acmecorp/resources?", StringComparison.Ordinal) => LoopbackServer.WriteJsonAsync(ctx, """{"resources":[{"kind":"action","id":"x"}]}"""),
            var p when p.StartsWith("/v1/spaces/acmecorp/resources:bulkUpdate", StringComparison.Ordinal) => LoopbackServer.WriteJsonAsync(ctx, req.Body),
            _ => LoopbackServer.WriteJsonAsync(ctx, """{"resource":{"kind":"action","id":"x","displayName":"X"}}"""),
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);
        var client = services.GetRequiredService<IndentClient>();

        var listed = new List<Resource>();
        await foreach (var r in client.ListResourcesAsync(view: "requestable"))
        {
            listed.Add(r);
        }

        var one = await client.GetResourceAsync("x");
        var updated = await client.BulkUpdateResourcesAsync([new Resource { Kind = "action", Id = "y" }]);

        var paths = server.Requests.Select(r => r.PathAndQuery).ToList();
        Assert.Equal("/v1/spaces/acmecorp/resources?view=requestable&pageSize=100", paths[0]);
        Assert.Equal("/v1/spaces/acmecorp/resources/x", paths[1]);
        Assert.Equal("/v1/spaces/acmecorp/resources:bulkUpdate", paths[2]);
        Assert.Equal("x", Assert.Single(listed).Id);
        Assert.Equal("X", one.DisplayName);
        Assert.Equal("y", Assert.Single(updated).Id);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task GetPetitionAsync_TransientStatusThenSuccess_RetriesAndSucceeds(int status)
    {
        var calls = 0;
        await using var server = await LoopbackServer.StartAsync((ctx, _) =>
            ++calls <= 2 ? LoopbackServer.WriteJsonAsync(ctx, """{"status":{"code":14,"message":"unavailable"}}""", status) : LoopbackServer.WriteJsonAsync(ctx, PetitionJson));
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var petition = await services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1");

        Assert.Equal("pet-1", petition.Name);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task GetPetitionAsync_429WithRetryAfter_WaitsAtLeastThatLong()
    {
        var times = new List<DateTimeOffset>();
        await using var server = await LoopbackServer.StartAsync((ctx, _) =>
        {
            times.Add(DateTimeOffset.UtcNow);
            if (times.Count == 1)
            {
                ctx.Response.Headers.RetryAfter = "1";
                return LoopbackServer.WriteJsonAsync(ctx, """{"status":{"code":8,"message":"slow down"}}""", 429);
            }

            return LoopbackServer.WriteJsonAsync(ctx, PetitionJson);
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        await services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1");

        Assert.Equal(2, times.Count);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(950), $"waited {(times[1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task GetPetitionAsync_ServerResetsConnection_Retries()
    {
        var calls = 0;
        await using var server = await LoopbackServer.StartAsync((ctx, _) =>
        {
            if (++calls == 1)
            {
                ctx.Abort();
                return Task.CompletedTask;
            }

            return LoopbackServer.WriteJsonAsync(ctx, PetitionJson);
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var petition = await services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1");

        Assert.Equal("pet-1", petition.Name);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task GetPetitionAsync_SlowServer_AttemptTimesOutAndRetries()
    {
        var calls = 0;
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            if (++calls == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await LoopbackServer.WriteJsonAsync(ctx, PetitionJson);
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var petition = await services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1");

        Assert.Equal("pet-1", petition.Name);
        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData(400, 3)]
    [InlineData(401, 16)]
    [InlineData(403, 7)]
    [InlineData(404, 5)]
    [InlineData(409, 6)]
    public async Task GetPetitionAsync_ClientError_NotRetried_TypedErrorCarriesIndentStatus(int status, int code)
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) =>
            LoopbackServer.WriteJsonAsync(ctx, $$$"""{"status":{"code":{{{code}}},"message":"nope {{{status}}}"}}""", status));
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        var error = await Assert.ThrowsAsync<IndentApiException>(() => services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1"));

        Assert.Single(server.Requests);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal(code, error.IndentCode);
        Assert.Equal($"nope {status}", error.IndentMessage);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task GetPetitionAsync_PersistentOutage_GivesUpAfterConfiguredRetries()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, "not json", 503));
        await using var services = IndentClientFactory.Build(server.BaseAddress, maxRetries: 3);

        var error = await Assert.ThrowsAsync<IndentApiException>(() => services.GetRequiredService<IndentClient>().GetPetitionAsync("pet-1"));

        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Null(error.IndentCode);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Errors_NeverContainTheToken_InMessagesOrLogs()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, req) =>
            LoopbackServer.WriteJsonAsync(ctx, """{"status":{"code":16,"message":"bad token"}}""", req.PathAndQuery.Contains("claims", StringComparison.Ordinal) ? 500 : 401));
        await using var services = IndentClientFactory.Build(server.BaseAddress, maxRetries: 1);
        var client = services.GetRequiredService<IndentClient>();

        var errors = new List<Exception>
        {
            await Assert.ThrowsAsync<IndentApiException>(() => client.GetPetitionAsync("p")),
            await Assert.ThrowsAsync<IndentApiException>(() => client.DenyAsync("p")),
            await Assert.ThrowsAsync<IndentApiException>(() => client.CreatePetitionAsync(new Petition { Reason = "r" })),
        };

        var secretPart = IndentClientFactory.Token.Split('.')[2];
        foreach (var error in errors)
        {
            Assert.DoesNotContain(secretPart, error.ToString(), StringComparison.Ordinal);
        }

        var logs = services.AllLogText();
        Assert.Contains("/spaces/acmecorp/petitions", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(secretPart, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(secretPart, client.ToString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingToken_FailsWithMessageNamingTheSetting_SendsNothing()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => LoopbackServer.WriteJsonAsync(ctx, PetitionJson));
        await using var services = IndentClientFactory.Build(server.BaseAddress, token: null);

        var error = await Assert.ThrowsAsync<IndentConfigurationException>(() => services.GetRequiredService<IndentClient>().GetPetitionAsync("p"));

        Assert.Contains(IndentOptions.TokenSetting, error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData(null, "INDENT_SPACE")]
    [InlineData("acme corp", "INDENT_SPACE")]
    public void FromConfiguration_BadSpace_NamesTheSetting(string? space, string setting)
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [IndentOptions.SpaceSetting] = space }).Build();

        var error = Assert.Throws<IndentConfigurationException>(() => IndentOptions.FromConfiguration(configuration));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_BadBaseUrl_NamesTheSetting()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [IndentOptions.SpaceSetting] = "acme", [IndentOptions.BaseUrlSetting] = "ftp:/x" }).Build();

        var error = Assert.Throws<IndentConfigurationException>(() => IndentOptions.FromConfiguration(configuration));

        Assert.Contains(IndentOptions.BaseUrlSetting, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3h0m0s", 10800)]
    [InlineData("90m", 5400)]
    [InlineData("1h30m15s", 5415)]
    [InlineData("0.5s", 0.5)]
    public void GoDuration_TryParse_ReadsIndentDurations(string text, double seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var span));
        Assert.Equal(seconds, span.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("3d")]
    [InlineData("h")]
    [InlineData("-1h")]
    [InlineData("0s")]
    public void GoDuration_TryParse_RejectsGarbage(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void IndentToken_TryGetSubject_ReadsSubClaim()
    {
        Assert.Equal("petra@example.com", IndentToken.TryGetSubject(IndentClientFactory.Token));
        Assert.Null(IndentToken.TryGetSubject("not-a-jwt"));
        Assert.Null(IndentToken.TryGetSubject("a.!!!.c"));
    }
}
