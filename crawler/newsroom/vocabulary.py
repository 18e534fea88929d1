"""Seeded Vietnamese vocabulary of the newsroom: names, places, roles and per-section topics.

Plain data (NFC strings). `crawler.newsroom.writer` draws from it with a seeded `random.Random` to write
plausible provincial news stories; each story picks its own small cast (people, places, topics) so two
stories share little more than the grammar words, as real articles do.
"""

from __future__ import annotations

# Word lists stay packed several to a line: one a line would make this file ten times as long.
# fmt: off
SURNAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
    "Võ", "Đinh", "Cao", "Thái", "Lương", "Chu", "Tạ", "Kiều", "Lò", "Vi", "Hà",
)
MIDDLE_NAMES = (
    "Văn", "Thị", "Đức", "Minh", "Quốc", "Thanh", "Hữu", "Ngọc", "Xuân", "Hồng", "Thu", "Anh", "Công", "Bá",
    "Đình", "Trọng", "Khắc", "Kim", "Viết", "Sỹ", "Như", "Tất",
)
GIVEN_NAMES = (
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh",
    "Long", "Mai", "Nam", "Nga", "Nhung", "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thành", "Thảo", "Trang",
    "Trung", "Tuấn", "Vinh", "Yến", "Huệ", "Đạt", "Duy", "Hạnh", "Lộc", "Nghĩa", "Oanh", "Quyết", "Sâm",
    "Thắng", "Toàn", "Uyên", "Việt", "Xuyến", "Kiên", "Luân", "Mạnh", "Ngân", "Phượng",
)
PHOTO_CREDITS = ("PV", "CTV", "Tư liệu", "Minh Quân", "Thành Cường", "Quang An", "Đức Anh", "Sỹ Minh", "Lâm Tùng")

PLACES = (
    "Nghệ An", "Hà Tĩnh", "Thanh Hóa", "phường Vinh Phú", "phường Trường Vinh", "xã Quỳnh Lưu", "xã Diễn Châu",
    "phường Cửa Lò", "xã Nghi Lộc", "xã Thanh Chương", "xã Con Cuông", "xã Mường Xén", "xã Tương Dương",
    "phường Hoàng Mai", "xã Đô Lương", "xã Nam Đàn", "xã Hưng Nguyên", "xã Yên Thành", "xã Quế Phong",
    "xã Anh Sơn", "phường Thái Hòa", "xã Tân Kỳ", "xã Nghĩa Đàn", "xã Quỳ Hợp", "xã Kim Liên", "xã Châu Khê",
    "Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "Huế", "Quảng Trị", "Cần Thơ", "Hải Phòng", "Lào Cai", "Gia Lai",
)
WORLD_PLACES = (
    "Nhật Bản", "Hàn Quốc", "Trung Quốc", "Ấn Độ", "Australia", "Mỹ", "Canada", "Brazil", "Đức", "Pháp",
    "Anh", "Italy", "Tây Ban Nha", "Ba Lan", "Ukraine", "Nga", "Thổ Nhĩ Kỳ", "Ai Cập", "Nam Phi", "Indonesia",
    "Thái Lan", "Malaysia", "Singapore", "Philippines", "Lào", "Campuchia", "New Zealand", "Mexico", "Chile",
)
MONTH_WORDS = ("quý I", "quý II", "quý III", "6 tháng đầu năm", "9 tháng đầu năm", "tháng trước", "năm ngoái")
FUTURE_WORDS = ("quý IV", "năm tới", "thời gian tới", "những tháng cuối năm", "giai đoạn tiếp theo", "2 năm tới")
TIME_OF_DAY = ("Sáng", "Chiều", "Tối", "Ngày")

# Per-section material: organisations, people's roles, topics (noun phrases), events and actions.
SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "Thời sự": {
        "orgs": ("UBND tỉnh", "Ban Thường vụ Tỉnh ủy", "HĐND tỉnh", "Ủy ban MTTQ tỉnh", "Ban Tuyên giáo và Dân vận",
                 "Đảng ủy xã", "Sở Nội vụ", "Đoàn đại biểu Quốc hội tỉnh", "Văn phòng UBND tỉnh"),
        "roles": ("Phó Chủ tịch UBND tỉnh", "Bí thư Đảng ủy xã", "Chủ tịch UBND phường", "Giám đốc Sở Nội vụ",
                  "Trưởng Ban Dân vận", "Phó Trưởng đoàn đại biểu Quốc hội", "Chủ tịch Ủy ban MTTQ xã"),
        "topics": ("sắp xếp đơn vị hành chính", "cải cách thủ tục hành chính", "chính quyền địa phương hai cấp",
                   "công tác cán bộ", "chương trình mục tiêu quốc gia", "xây dựng nông thôn mới",
                   "tiếp xúc cử tri", "giải quyết kiến nghị của người dân", "chuyển đổi số trong cơ quan nhà nước",
                   "phòng chống thiên tai", "xóa nhà tạm, nhà dột nát", "thực hiện dân chủ ở cơ sở"),
        "events": ("hội nghị sơ kết", "phiên họp thường kỳ", "buổi làm việc", "hội nghị trực tuyến",
                   "kỳ họp chuyên đề", "buổi tiếp xúc cử tri", "đợt kiểm tra", "lễ ra mắt"),
        "actions": ("đẩy nhanh tiến độ", "tháo gỡ vướng mắc trong", "rà soát toàn diện", "nâng cao hiệu quả",
                    "tập trung chỉ đạo", "kiện toàn bộ máy cho", "tổng kết kinh nghiệm về"),
    },
    "Kinh tế": {
        "orgs": ("Sở Tài chính", "Sở Công Thương", "Ban Quản lý Khu kinh tế Đông Nam", "Ngân hàng Nhà nước chi nhánh",
                 "Hiệp hội Doanh nghiệp tỉnh", "Cục Thuế tỉnh", "Hợp tác xã nông nghiệp", "Tổng công ty Điện lực"),
        "roles": ("Giám đốc Sở Công Thương", "Trưởng ban Quản lý Khu kinh tế", "Tổng giám đốc công ty",
                  "Chủ tịch Hiệp hội Doanh nghiệp", "Giám đốc hợp tác xã", "chuyên gia kinh tế", "Cục trưởng Cục Thuế"),
        "topics": ("giải ngân vốn đầu tư công", "thu hút vốn FDI", "xuất khẩu nông sản", "giá lúa gạo",
                   "thị trường bất động sản", "thu ngân sách", "sản xuất công nghiệp", "tín dụng cho doanh nghiệp nhỏ",
                   "chuỗi liên kết chăn nuôi", "du lịch biển", "giá xăng dầu", "hạ tầng khu công nghiệp",
                   "sản phẩm OCOP", "thương mại điện tử"),
        "events": ("hội nghị xúc tiến đầu tư", "diễn đàn doanh nghiệp", "hội chợ thương mại", "lễ ký kết hợp tác",
                   "buổi đối thoại với doanh nghiệp", "lễ khởi công dự án", "hội thảo chuyên đề"),
        "actions": ("tăng trưởng mạnh về", "phục hồi rõ nét ở", "đặt mục tiêu cao cho", "tháo gỡ khó khăn cho",
                    "mở rộng thị trường cho", "tái cơ cấu", "ưu tiên nguồn lực cho"),
    },
    "Xã hội": {
        "orgs": ("Hội Liên hiệp Phụ nữ tỉnh", "Tỉnh đoàn", "Hội Chữ thập đỏ", "Sở Y tế", "Bảo hiểm xã hội tỉnh",
                 "Công ty Cấp nước", "Ban An toàn giao thông tỉnh", "Hội Người cao tuổi"),
        "roles": ("Chủ tịch Hội Chữ thập đỏ", "Bí thư Tỉnh đoàn", "Giám đốc Bảo hiểm xã hội", "trưởng thôn",
                  "người dân địa phương", "tình nguyện viên", "Chủ tịch Hội Liên hiệp Phụ nữ"),
        "topics": ("nước sạch nông thôn", "an toàn giao thông", "bảo hiểm y tế hộ gia đình", "việc làm cho lao động",
                   "hỗ trợ hộ nghèo", "chăm sóc người cao tuổi", "tai nạn đuối nước", "ô nhiễm môi trường",
                   "rác thải sinh hoạt", "nhà ở xã hội", "mưa lũ ở miền núi", "lao động đi làm việc ở nước ngoài"),
        "events": ("chương trình thiện nguyện", "đợt ra quân", "lễ trao tặng", "chiến dịch tình nguyện hè",
                   "phiên giao dịch việc làm", "buổi tuyên truyền", "ngày hội hiến máu"),
        "actions": ("chung tay giải quyết", "quan tâm hơn đến", "khắc phục hậu quả của", "hỗ trợ kịp thời cho",
                    "tuyên truyền sâu rộng về", "vận động người dân tham gia"),
    },
    "Pháp luật": {
        "orgs": ("Công an tỉnh", "Tòa án nhân dân tỉnh", "Viện Kiểm sát nhân dân", "Cục Hải quan",
                 "Phòng Cảnh sát kinh tế", "Bộ đội Biên phòng tỉnh", "Công an xã", "Thanh tra tỉnh"),
        "roles": ("Thượng tá, Trưởng phòng Cảnh sát hình sự", "Trung tá, Phó Trưởng Công an xã",
                  "Chánh án Tòa án nhân dân", "Viện trưởng Viện Kiểm sát", "luật sư", "Chánh Thanh tra tỉnh",
                  "Đại tá, Phó Giám đốc Công an tỉnh"),
        "topics": ("buôn bán ma túy", "lừa đảo qua mạng", "khai thác cát trái phép", "vận chuyển hàng lậu",
                   "tín dụng đen", "vi phạm nồng độ cồn", "đánh bạc trực tuyến", "trộm cắp tài sản",
                   "sai phạm trong đấu thầu", "vi phạm luật đất đai", "buôn bán động vật hoang dã", "đua xe trái phép"),
        "events": ("phiên tòa sơ thẩm", "chuyên án", "đợt cao điểm tấn công trấn áp tội phạm", "vụ bắt giữ",
                   "phiên tòa phúc thẩm", "đợt thanh tra", "cuộc kiểm tra đột xuất"),
        "actions": ("triệt phá đường dây", "khởi tố vụ án về", "xử lý nghiêm", "điều tra làm rõ",
                    "tăng cường đấu tranh với", "cảnh báo thủ đoạn"),
    },
    "Thế giới": {
        "orgs": ("Liên hợp quốc", "Liên minh châu Âu", "ASEAN", "Quỹ Tiền tệ Quốc tế", "Tổ chức Y tế Thế giới",
                 "Ngân hàng Thế giới", "Hội đồng Bảo an", "nhóm G20"),
        "roles": ("Tổng thống", "Thủ tướng", "Ngoại trưởng", "người phát ngôn Bộ Ngoại giao", "chuyên gia phân tích",
                  "Bộ trưởng Quốc phòng", "Thống đốc ngân hàng trung ương"),
        "topics": ("xung đột vũ trang", "biến đổi khí hậu", "lạm phát toàn cầu", "an ninh năng lượng",
                   "thuế quan", "bầu cử tổng thống", "động đất mạnh", "cháy rừng", "làn sóng di cư",
                   "chuỗi cung ứng", "trí tuệ nhân tạo", "đàm phán hòa bình"),
        "events": ("hội nghị thượng đỉnh", "cuộc điện đàm", "chuyến thăm chính thức", "cuộc họp khẩn",
                   "vòng đàm phán", "cuộc bầu cử", "diễn đàn kinh tế"),
        "actions": ("kêu gọi chấm dứt", "cam kết hợp tác về", "cảnh báo nguy cơ", "áp đặt biện pháp đối với",
                    "thúc đẩy đối thoại về", "công bố kế hoạch về"),
    },
    "Thể thao": {
        "orgs": ("Sông Lam Nghệ An", "đội tuyển Việt Nam", "Liên đoàn Bóng đá Việt Nam", "Sở Văn hóa và Thể thao",
                 "CLB Hà Nội", "đội U23 Việt Nam", "đội bóng chuyền nữ", "Ban tổ chức giải"),
        "roles": ("huấn luyện viên trưởng", "tiền vệ", "thủ môn", "đội trưởng", "vận động viên", "trọng tài",
                  "Chủ tịch câu lạc bộ"),
        "topics": ("V-League", "giải hạng Nhất", "SEA Games", "vòng loại Asian Cup", "giải điền kinh",
                   "giải bơi lội", "giải việt dã", "lực lượng trẻ", "công tác chuyển nhượng", "bóng đá học đường",
                   "giải quần vợt", "giải cờ vua"),
        "events": ("trận đấu", "trận derby", "vòng đấu", "buổi tập", "lễ khai mạc", "lễ bốc thăm",
                   "trận chung kết", "trận giao hữu"),
        "actions": ("giành chiến thắng tại", "chuẩn bị lực lượng cho", "gây bất ngờ ở", "đặt mục tiêu ở",
                    "bổ sung tân binh cho", "rút kinh nghiệm sau"),
    },
    "Văn hóa": {
        "orgs": ("Bảo tàng tỉnh", "Nhà hát Dân ca", "Hội Văn học nghệ thuật", "Trung tâm Văn hóa tỉnh",
                 "Ban quản lý di tích", "câu lạc bộ dân ca ví, giặm", "Thư viện tỉnh", "Hội Nhà văn"),
        "roles": ("nghệ nhân", "Giám đốc Bảo tàng", "nhà nghiên cứu văn hóa", "nhạc sĩ", "đạo diễn",
                  "Trưởng ban quản lý di tích", "nhà thơ"),
        "topics": ("dân ca ví, giặm", "lễ hội truyền thống", "di tích quốc gia đặc biệt", "làng nghề truyền thống",
                   "văn hóa đọc", "nghệ thuật tuồng", "ẩm thực xứ Nghệ", "trang phục dân tộc Thái",
                   "bảo tồn nhà sàn", "sách về lịch sử địa phương", "âm nhạc đương đại", "điện ảnh Việt"),
        "events": ("liên hoan", "triển lãm", "đêm nghệ thuật", "lễ hội", "buổi ra mắt sách", "hội thảo khoa học",
                   "chương trình biểu diễn"),
        "actions": ("bảo tồn và phát huy", "lan tỏa giá trị của", "số hóa tư liệu về", "giới thiệu với du khách",
                    "khôi phục", "tôn vinh"),
    },
    "Giáo dục": {
        "orgs": ("Sở Giáo dục và Đào tạo", "Trường Đại học Vinh", "Trường THPT chuyên Phan Bội Châu",
                 "Trường Tiểu học", "Trường Cao đẳng Kỹ thuật", "Hội Khuyến học", "Trường Mầm non"),
        "roles": ("Giám đốc Sở Giáo dục và Đào tạo", "hiệu trưởng", "giáo viên chủ nhiệm", "phụ huynh",
                  "học sinh lớp 12", "Hiệu trưởng Trường Đại học", "giảng viên"),
        "topics": ("kỳ thi tốt nghiệp THPT", "tuyển sinh lớp 10", "chương trình giáo dục phổ thông mới",
                   "học sinh giỏi quốc gia", "thiếu giáo viên", "trường học vùng cao", "học phí", "dạy thêm, học thêm",
                   "sách giáo khoa", "giáo dục nghề nghiệp", "bán trú cho học sinh", "học bổng"),
        "events": ("lễ khai giảng", "lễ tuyên dương", "kỳ thi", "hội nghị tổng kết năm học",
                   "ngày hội tư vấn tuyển sinh", "lễ trao học bổng", "cuộc thi khoa học kỹ thuật"),
        "actions": ("nâng cao chất lượng", "chuẩn bị chu đáo cho", "đổi mới phương pháp", "đầu tư cơ sở vật chất cho",
                    "hỗ trợ học sinh trong", "đạt thành tích cao ở"),
    },
    "Sức khỏe": {
        "orgs": ("Bệnh viện Hữu nghị Đa khoa Nghệ An", "Bệnh viện Sản Nhi", "Trung tâm Kiểm soát bệnh tật",
                 "Bệnh viện Ung bướu", "Trạm Y tế xã", "Sở Y tế", "Bệnh viện Đa khoa khu vực"),
        "roles": ("bác sĩ", "Giám đốc bệnh viện", "Trưởng khoa Hồi sức tích cực", "điều dưỡng",
                  "Phó Giám đốc Sở Y tế", "chuyên gia dinh dưỡng", "dược sĩ"),
        "topics": ("sốt xuất huyết", "tay chân miệng", "tiêm chủng mở rộng", "đột quỵ", "ung thư phổi",
                   "ngộ độc thực phẩm", "bệnh tiểu đường", "sức khỏe tâm thần", "ghép tạng", "phẫu thuật nội soi",
                   "thiếu thuốc, vật tư y tế", "dinh dưỡng trẻ em"),
        "events": ("ca phẫu thuật", "đợt khám bệnh miễn phí", "chiến dịch tiêm vắc xin", "hội thảo y khoa",
                   "buổi tư vấn sức khỏe", "đợt giám sát dịch"),
        "actions": ("cứu sống bệnh nhân mắc", "cảnh báo nguy cơ", "làm chủ kỹ thuật điều trị", "phòng ngừa",
                    "tầm soát sớm", "kiểm soát chặt"),
    },
    "Công nghệ": {
        "orgs": ("Sở Khoa học và Công nghệ", "Viettel", "VNPT", "doanh nghiệp khởi nghiệp", "Trung tâm dữ liệu tỉnh",
                 "Hiệp hội Phần mềm", "nhóm sinh viên"),
        "roles": ("Giám đốc Sở Khoa học và Công nghệ", "kỹ sư phần mềm", "nhà sáng lập", "chuyên gia bảo mật",
                  "trưởng nhóm nghiên cứu", "Giám đốc chi nhánh"),
        "topics": ("trí tuệ nhân tạo", "mạng 5G", "chữ ký số", "dịch vụ công trực tuyến", "an ninh mạng",
                   "thanh toán không dùng tiền mặt", "nông nghiệp công nghệ cao", "dữ liệu dân cư",
                   "khởi nghiệp sáng tạo", "xe điện", "điện mặt trời áp mái", "thiết bị bay không người lái"),
        "events": ("cuộc thi khởi nghiệp", "hội thảo công nghệ", "lễ ra mắt nền tảng", "ngày hội chuyển đổi số",
                   "buổi trình diễn", "chương trình tập huấn"),
        "actions": ("ứng dụng", "triển khai rộng rãi", "làm chủ công nghệ", "phổ cập", "thử nghiệm thành công",
                    "số hóa quy trình với"),
    },
}

# Sentence frames. Slots: {org} {org2} {place} {place2} {topic} {topic2} {event} {action} {person} {role}
# {honorific} {Honorific} {num} {num2} {pct} {money} {period} {future} {year} {year2} {day} {quote} {when}.
SENTENCES = (
    "Theo {org}, {topic} tại {place} trong {period} có nhiều chuyển biến tích cực.",
    "Tại {event}, {role} {person} cho biết {org} sẽ {action} {topic} trong thời gian tới.",
    "{period}, toàn {place} ghi nhận {num} trường hợp liên quan đến {topic}, tăng {pct}% so với cùng kỳ.",
    "Đến nay, đã có {num} hộ dân ở {place} được hưởng lợi từ các chương trình về {topic}.",
    "Tổng kinh phí dành cho {topic} ước đạt {money} tỷ đồng, chủ yếu từ nguồn ngân sách và xã hội hóa.",
    "Nhiều ý kiến cho rằng cần {action} {topic}, nhất là ở các địa bàn khó khăn như {place2}.",
    "{role} {person} đề nghị các đơn vị phối hợp chặt chẽ, không để xảy ra tình trạng chậm trễ.",
    "Bên cạnh {topic}, {org2} cũng quan tâm đến {topic2} với nhiều giải pháp cụ thể.",
    "Ghi nhận tại {place}, không khí {event} diễn ra sôi nổi với sự tham gia của hơn {num} người.",
    "Trước đó, {org} đã tổ chức {event} nhằm đánh giá kết quả thực hiện {topic} giai đoạn {year} - {year2}.",
    "{Honorific} {person} chia sẻ, điều khiến người dân băn khoăn nhất lúc này là {topic2}.",
    "{Honorific} {person}, {role}, nhận định kết quả đạt được là nền tảng quan trọng để {action} {topic2}.",
    "Dự kiến trong {future}, {org} sẽ hoàn thành {num2} hạng mục và đưa vào sử dụng trước ngày {day}.",
    "“{quote}”, {role} {person} nhấn mạnh.",
    "“{quote}”, {honorific} {person} nói.",
    "Theo số liệu của {org2}, tỷ lệ {topic2} đạt {pct}%, cao hơn mức bình quân chung.",
    "Đáng chú ý, một số địa phương như {place} và {place2} đã chủ động {action} {topic}.",
    "Tuy vậy, {topic} vẫn còn không ít hạn chế do nguồn lực có hạn và cơ chế chưa đồng bộ.",
    "Mỗi năm, {place} dành khoảng {money} tỷ đồng cho {topic}, con số được đánh giá là còn khiêm tốn.",
    "Sau {event}, các bên thống nhất lộ trình {action} {topic2} trong {future}.",
    "Lực lượng chức năng đã có mặt tại hiện trường, phối hợp với {org2} xử lý theo quy định.",
    "Trao đổi với phóng viên, {role} {person} khẳng định sẽ theo dõi sát diễn biến của {topic}.",
    "Người dân {place} kỳ vọng {topic} sẽ sớm có chuyển biến rõ rệt, góp phần nâng cao đời sống.",
    "Kết thúc {event}, {org} trao {num2} phần quà cho các tập thể, cá nhân có thành tích xuất sắc.",
    "Từ đầu năm {year2} đến nay, {org2} đã tiếp nhận {num} hồ sơ liên quan đến {topic}.",
    "Các chuyên gia khuyến cáo không nên chủ quan với {topic2}, đặc biệt trong bối cảnh hiện nay.",
    "Năm {year}, {place} từng là điểm nóng về {topic}, nhưng đến nay tình hình đã cơ bản ổn định.",
    "Chiều cùng ngày, đoàn công tác của {org} đi kiểm tra thực tế tại {place2}.",
    "Chỉ tính riêng {period}, con số này đã vượt {pct}% kế hoạch cả năm.",
    "Gia đình {honorific} {person} ở {place} là một trong những hộ đầu tiên tham gia mô hình.",
    "{org2} cho hay sẽ sớm ban hành hướng dẫn chi tiết để các cơ sở thống nhất thực hiện.",
    "Thời gian qua, dư luận đặc biệt quan tâm tới {topic} vì ảnh hưởng trực tiếp đến sinh kế của người dân.",
    "Phóng viên ghi nhận, tại nhiều điểm ở {place}, việc triển khai {topic2} vẫn còn lúng túng.",
    "{role} {person} thừa nhận còn tình trạng trông chờ, ỷ lại ở một bộ phận cán bộ cơ sở.",
    "Để khắc phục, {org} đề xuất bổ sung {money} tỷ đồng và tăng cường nhân lực cho cấp xã.",
    "Các ý kiến tại {event} đều thống nhất rằng {topic} cần được đặt trong tổng thể phát triển của {place}.",
    "Ngay sau khi nhận được phản ánh, {org2} đã cử cán bộ xuống {place2} xác minh.",
    "Nhiều năm nay, {topic2} luôn là câu chuyện được bàn thảo tại các kỳ họp của {org}.",
    "So với năm {year}, quy mô {event} năm nay lớn hơn gấp {num2} lần.",
    "Theo kế hoạch, {event} tiếp theo sẽ được tổ chức tại {place2} vào ngày {day}.",
    "{honorific} {person} kể, có thời điểm cả xóm chỉ có vài hộ tin tưởng vào {topic}.",
    "Hiện {org2} đang lấy ý kiến góp ý của người dân và doanh nghiệp đối với dự thảo về {topic2}.",
)
QUOTES = (
    "Chúng tôi xác định đây là nhiệm vụ trọng tâm, phải làm quyết liệt và làm đến nơi đến chốn",
    "Mọi quyết sách đều phải xuất phát từ lợi ích chính đáng của người dân",
    "Kết quả này là nhờ sự vào cuộc đồng bộ của cả hệ thống chính trị",
    "Chúng tôi sẽ tiếp tục lắng nghe ý kiến của người dân để điều chỉnh kịp thời",
    "Khó khăn còn nhiều nhưng chúng tôi tin tưởng sẽ hoàn thành mục tiêu đề ra",
    "Đây là bài học kinh nghiệm quý để các địa phương khác tham khảo",
    "Không có vùng cấm, không có ngoại lệ trong xử lý vi phạm",
    "Mỗi cán bộ phải thực sự là tấm gương để người dân noi theo",
)
SENTENCES_PER_STORY = 16  # each story writes with its own subset of the frames, like a reporter's habits
SUBHEADINGS = (
    "Chuyển biến từ cơ sở", "Những kết quả bước đầu", "Vẫn còn không ít khó khăn", "Cần giải pháp căn cơ",
    "Kỳ vọng từ người dân", "Nỗ lực vượt khó", "Tạo đà cho giai đoạn mới", "Bài học kinh nghiệm",
    "Tháo gỡ điểm nghẽn", "Hướng đi bền vững", "Lan tỏa mô hình hay", "Quyết tâm hoàn thành mục tiêu",
)
CAPTIONS = (
    "Quang cảnh {event} tại {place}.", "{role} {person} phát biểu tại {event}.",
    "Người dân {place} tham gia {event}.", "Lực lượng chức năng kiểm tra thực tế tại {place}.",
    "Một góc {place} nhìn từ trên cao.", "Các đại biểu tham quan mô hình về {topic}.",
    "{role} {person} trao đổi với người dân.", "Hoạt động {topic} tại {place}.",
)
# Titles start with a capital letter once formatted (see `writer.capitalize`).
TITLES = (
    "{place}: {action} {topic}", "{org} {action} {topic} trong {future}", "{topic} ở {place}: nhìn từ {event}",
    "Hơn {num} người tham gia {event} về {topic}", "{place} {action} {topic}", "Chuyện {topic} ở {place}",
    "{topic}: {org} vào cuộc", "{org} tổ chức {event} về {topic}",
)
LEADS = (
    "{when}, {org} tổ chức {event} về {topic} với sự tham gia của {num} đại biểu đến từ {place} và các địa phương.",
    "{when}, {role} {person} cho biết {place} đang {action} {topic} sau một thời gian triển khai còn chậm.",
    "{when}, tại {place}, {org} đã {action} {topic}, hướng tới mục tiêu hoàn thành kế hoạch năm {year2}.",
    "{when}, thông tin từ {org} cho thấy {topic} tại {place} có nhiều điểm sáng nhưng vẫn còn không ít thách thức.",
)
NEAR_DUPLICATE_NOTE = "Mời bạn đọc đón xem các tin, bài tiếp theo trên ứng dụng Báo Nghệ An và các trang mạng xã hội."
SYNDICATION_PREFIX = "Theo Báo Nghệ An: "
EDIT_NOTE = "Cập nhật: Bài viết được bổ sung thông tin mới nhất từ cơ quan chức năng sau khi xuất bản."
# fmt: on
